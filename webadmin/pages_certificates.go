package webadmin

import (
	"net/http"
	"strconv"

	"xmppbox/admin"
)

type certificatesData struct {
	CA      admin.CAInfo
	Expires string // relative: "in 9 years"
	QR      *qrCode
	Err     string // why there is no CA to show
}

// certificatesPage shows the box's certificate authority: what a device must trust for
// the box's certificates to be accepted, and how to check it is the right one.
func (h *Handler) certificatesPage(w http.ResponseWriter, r *http.Request, v viewer) {
	var d certificatesData
	ca, err := h.backend.CA()
	if err != nil {
		_, d.Err = h.formFailure(r, err)
	} else {
		d.CA = ca
		d.Expires = relative(ca.NotAfter, h.now())
		if qr, err := newQR(ca.Fingerprint, "QR code of the SHA-256 fingerprint"); err == nil {
			d.QR = &qr
		}
	}
	p := newPage(v, "Certificates", "/certificates")
	p.Data = d
	h.render(w, r, http.StatusOK, "certificates", p)
}

// caPEM and caDER serve the CA certificate to anyone: a device needs it before it can
// trust this very page.
func (h *Handler) caPEM(w http.ResponseWriter, r *http.Request, v viewer) {
	h.serveCA(w, r, v, "application/x-pem-file", ".pem", func(ca admin.CAInfo) []byte { return ca.PEM })
}

func (h *Handler) caDER(w http.ResponseWriter, r *http.Request, v viewer) {
	// .crt is the name Android, iOS and Windows offer to install from.
	h.serveCA(w, r, v, "application/pkix-cert", ".crt", func(ca admin.CAInfo) []byte { return ca.DER })
}

func (h *Handler) serveCA(w http.ResponseWriter, r *http.Request, v viewer, ctype, ext string, body func(admin.CAInfo) []byte) {
	ca, err := h.backend.CA()
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	b := body(ca)
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Header().Set("Content-Disposition", `attachment; filename="`+safeFileName(h.domain)+"-ca"+ext+`"`)
	if r.Method != http.MethodHead {
		w.Write(b)
	}
}

// safeFileName keeps the letters, digits, dots and dashes of a domain, which is all a file
// name in a header needs.
func safeFileName(s string) string {
	b := []byte(s)
	n := 0
	for _, c := range b {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' {
			b[n] = c
			n++
		}
	}
	if n == 0 {
		return "xmppbox"
	}
	return string(b[:n])
}
