package webadmin

import (
	"net"
	"net/http"
	"strings"
)

// Redirect is the handler for the plain-HTTP listener: it sends every request to the same
// path and query on https://HOST:httpsPort with 308, which keeps the method and body, and
// serves nothing else. Nothing is worth showing unencrypted, not even the CA: a download
// over plain HTTP could be swapped on the way.
func Redirect(httpsPort string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
		if host == "" {
			http.Error(w, "missing Host header", http.StatusBadRequest)
			return
		}
		target := net.JoinHostPort(host, httpsPort)
		if httpsPort == "443" || httpsPort == "" {
			target = host
			if strings.Contains(host, ":") {
				target = "[" + host + "]"
			}
		}
		w.Header().Set("Location", "https://"+target+r.URL.RequestURI())
		w.WriteHeader(http.StatusPermanentRedirect)
	})
}
