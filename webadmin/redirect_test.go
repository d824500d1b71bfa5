package webadmin

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRedirect(t *testing.T) {
	cases := []struct {
		name, port, method, url, host, want string
	}{
		{"default port", "443", "GET", "/users?q=a", "box.example.org", "https://box.example.org/users?q=a"},
		{"other port", "8443", "GET", "/invite/TOKEN", "box.example.org:8080", "https://box.example.org:8443/invite/TOKEN"},
		{"POST keeps method", "8443", "POST", "/login", "box.example.org", "https://box.example.org:8443/login"},
		{"IPv4", "8443", "GET", "/", "192.0.2.1:80", "https://192.0.2.1:8443/"},
		{"IPv6", "8443", "GET", "/", "[2001:db8::1]:80", "https://[2001:db8::1]:8443/"},
		{"IPv6 default port", "443", "GET", "/ca.pem", "[2001:db8::1]", "https://[2001:db8::1]/ca.pem"},
		{"escaped path", "443", "GET", "/a%2Fb", "box.example.org", "https://box.example.org/a%2Fb"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, "http://x"+tc.url, nil)
			req.Host = tc.host
			rec := httptest.NewRecorder()
			Redirect(tc.port).ServeHTTP(rec, req)
			if rec.Code != http.StatusPermanentRedirect {
				t.Errorf("status %d, want 308", rec.Code)
			}
			if got := rec.Header().Get("Location"); got != tc.want {
				t.Errorf("Location %q, want %q", got, tc.want)
			}
			if rec.Body.Len() != 0 {
				t.Errorf("a body: %q", rec.Body.String())
			}
		})
	}
	req := httptest.NewRequest("GET", "http://x/", nil)
	req.Host = ""
	rec := httptest.NewRecorder()
	Redirect("443").ServeHTTP(rec, req)
	if rec.Code != http.StatusBadRequest {
		t.Errorf("no Host: status %d, want 400", rec.Code)
	}
}
