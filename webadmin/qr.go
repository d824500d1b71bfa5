package webadmin

import (
	"fmt"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// qrCode is a QR code drawn as inline SVG by the "qr" template, one square per dark
// module: a phone can scan it off the screen, and the page needs no image files.
type qrCode struct {
	Size   int    // modules per side, quiet zone included
	Pixels int    // the width and height to show it at: whole pixels per module stay sharp
	Path   string // SVG path of the dark modules
	Label  string // what it encodes, for screen readers
}

// newQR encodes content with medium error correction (about 15% of the code may be
// damaged or covered), a fair trade between size and robustness on a screen.
func newQR(content, label string) (qrCode, error) {
	q, err := qrcode.New(content, qrcode.Medium)
	if err != nil {
		return qrCode{}, fmt.Errorf("webadmin: QR code: %w", err)
	}
	bm := q.Bitmap() // with the quiet zone, which readers need
	var b strings.Builder
	for y, row := range bm {
		// One rectangle per horizontal run of dark modules keeps the path short.
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", start, y, x-start, x-start)
		}
	}
	// About 220 px, the size of a phone's viewfinder at arm's length from a screen.
	return qrCode{Size: len(bm), Pixels: len(bm) * max(3, 220/len(bm)), Path: b.String(), Label: label}, nil
}
