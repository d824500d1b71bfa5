package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// httpListener is one HTTP service of serve: the web page, its redirect, or metrics.
type httpListener struct {
	name    string
	addr    string
	handler http.Handler
	tls     *tls.Config  // nil: plain HTTP
	ln      net.Listener // set by listen
}

// listen opens l's socket, so that a port in use fails serve before anything runs.
func (l *httpListener) listen() error {
	ln, err := net.Listen("tcp", l.addr)
	if err != nil {
		return fmt.Errorf("listen %s on %s: %w", l.name, l.addr, err)
	}
	if l.tls != nil {
		ln = tls.NewListener(ln, l.tls)
	}
	l.ln = ln
	return nil
}

// serve answers on l's listener until ctx is done, then gives requests in flight five
// seconds.
func (l *httpListener) serve(ctx context.Context, log *slog.Logger) error {
	ln := l.ln
	hs := &http.Server{
		Handler:           l.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug), // TLS handshake noise from scanners
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	shutdownDone := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(shutdownDone)
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	})
	log.LogAttrs(ctx, slog.LevelInfo, "listening", slog.String("listener", l.name), slog.String("addr", ln.Addr().String()))
	err := hs.Serve(ln)
	if !errors.Is(err, http.ErrServerClosed) {
		stop()
		return fmt.Errorf("%s: %w", l.name, err)
	}
	// Serve returns as Shutdown starts; the store must outlive the requests in flight.
	<-shutdownDone
	return nil
}
