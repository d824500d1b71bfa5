// Command benchmuc measures group-chat (XEP-0045) fan-out in one room, against any XMPP
// server on loopback. N occupants log in (user1..userN, STARTTLS + SCRAM, certificates not
// verified, like ../shared/bench/loadgen) and join the room as n1..nN, the first one
// creating it (an instant room) if it does not exist; all are in when each has seen its own
// presence (status 110). Then S of them send groupchat messages carrying their send time
// and sender, each with at most W in flight (sent and not yet reflected back to it by the
// room). Every occupant, the sender included, counts the messages it receives.
//
// One JSON line: msgs_sent_per_s (messages sent in the measured window, after -warmup),
// deliveries_per_s (messages received by occupants in that window: the fan-out rate),
// p50/p90/p99/max_ms (delivery latency of those deliveries), lost (deliveries that had not
// arrived when the drain after sending ended: (sent − refused) × occupants − received),
// msg_errors (messages the room refused with a message error, e.g. its rate limit; the
// sender retries 100 ms later), join_s (logins and joins), and the CPU seconds the server
// (-pid, /proc/PID/stat) and this process used over the measured window.
//
// Standard library only; loopback only; every phase is bounded in time, so it stops by
// itself (on a setup failure it prints a JSON line with "error" and exits 1).
//
//	benchmuc -addr 127.0.0.1:5222 -occupants 50 -duration 10s -pid "$(pidof prosody)"
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var (
	addr      = flag.String("addr", "127.0.0.1:5222", "server c2s address (loopback only)")
	domain    = flag.String("domain", "bench.local", "XMPP domain of the accounts")
	room      = flag.String("room", "bench@conference.bench.local", "room JID (created by the first occupant if missing)")
	users     = flag.Int("users", 5000, "provisioned accounts user1..userN (password -password)")
	password  = flag.String("password", "pw", "password of every account")
	mech      = flag.String("mech", "SCRAM-SHA-1", "SCRAM-SHA-1|SCRAM-SHA-256")
	occupants = flag.Int("occupants", 50, "occupants: user1..userN join the room as nicks n1..nN")
	senders   = flag.Int("senders", 0, "occupants that send (the first S); 0 = all")
	window    = flag.Int("window", 1, "in-flight messages per sender (sent, not yet reflected back to it)")
	duration  = flag.Duration("duration", 10*time.Second, "measured time, after the warm-up")
	warmup    = flag.Duration("warmup", 2*time.Second, "sending time before the measured window")
	conc      = flag.Int("c", 50, "concurrent logins and joins")
	timeout   = flag.Duration("timeout", 120*time.Second, "bound for server readiness, logins and joins")
	drain     = flag.Duration("drain", 60*time.Second, "bound for waiting for in-flight deliveries after sending stops (it also ends after 3 s without one)")
	pid       = flag.Int("pid", 0, "server PID: its CPU time over the measured window is reported")
	label     = flag.String("label", "", "free-form label copied into the JSON line")
)

var base = time.Now()

func mono() int64 { return int64(time.Since(base)) }

var out = map[string]any{}

// emit prints the JSON line (with "error" when err is set) and exits.
func emit(err error) {
	out["mode"] = "muc"
	out["occupants"] = *occupants
	out["senders"] = *senders
	out["window"] = *window
	out["room"] = *room
	out["addr"] = *addr
	out["mech"] = *mech
	out["label"] = *label
	out["time"] = time.Now().UTC().Format(time.RFC3339)
	code := 0
	if err != nil {
		out["error"] = err.Error()
		fmt.Fprintln(os.Stderr, "benchmuc:", err)
		code = 1
	}
	enc := json.NewEncoder(os.Stdout) // one line; stanzas in errors stay readable
	enc.SetEscapeHTML(false)
	enc.Encode(out)
	os.Exit(code)
}

func main() {
	flag.Parse()
	if *senders <= 0 || *senders > *occupants {
		*senders = *occupants
	}
	emit(run())
}

func run() error {
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return fmt.Errorf("bad -addr: %v", err)
	}
	ips, err := net.LookupIP(host)
	if err != nil || len(ips) == 0 {
		return fmt.Errorf("cannot resolve %s", host)
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return fmt.Errorf("refusing non-loopback target %s (%s)", *addr, ip)
		}
	}
	switch {
	case *occupants < 1 || *occupants > *users:
		return fmt.Errorf("-occupants %d must be within 1..-users (%d)", *occupants, *users)
	case *window < 1 || *window > 1000:
		return fmt.Errorf("-window %d must be within 1..1000", *window)
	case *duration <= 0 || *duration > time.Hour || *warmup < 0 || *warmup > time.Hour:
		return errors.New("-duration must be within (0, 1h], -warmup within [0, 1h]")
	}
	setupEnd := time.Now().Add(*timeout)
	if err := waitReady(setupEnd); err != nil {
		return err
	}
	t0, cpu0 := time.Now(), serverCPU()
	occ, err := joinAll(setupEnd)
	defer closeAll(occ)
	if err != nil {
		return err
	}
	out["join_s"] = time.Since(t0).Seconds()
	if *pid > 0 {
		out["join_server_cpu_s"] = serverCPU() - cpu0
	}
	measure(occ)
	return nil
}

// waitReady polls until the server sends stream features (it may still be starting).
func waitReady(end time.Time) error {
	for {
		c, err := net.DialTimeout("tcp", *addr, 500*time.Millisecond)
		if err == nil {
			c.SetDeadline(time.Now().Add(2 * time.Second))
			x := &conn{c: c, br: bufio.NewReader(c)}
			_, err = x.openStream()
			c.Close()
			if err == nil {
				return nil
			}
		}
		if time.Now().After(end) {
			return fmt.Errorf("server at %s not ready within %v: %v", *addr, *timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ---------- occupants ----------

type occupant struct {
	i       int
	x       *conn
	wmu     sync.Mutex
	joined  chan struct{} // closed on our own presence with status 110
	created bool          // that presence had status 201: we created the room
	failed  chan string   // a presence error for our join
	iq      chan string   // type of the response to the room-configuration IQ
	sem     chan struct{} // send tokens (-window); our reflected messages return them
	lats    []int64       // latencies (ns) of the deliveries received in the measured window
	done    chan struct{} // reader stopped
}

var (
	recvAll, recvWin, sentAll, sentWin, msgErrs atomic.Int64
	warmEnd, measEnd                            atomic.Int64 // mono ns; 0 until sending starts
	firstErr                                    atomic.Value // first message error, as received
)

func (o *occupant) write(s string) error {
	o.wmu.Lock()
	defer o.wmu.Unlock()
	_, err := io.WriteString(o.x.c, s)
	return err
}

func joinPresence(i int) string {
	return "<presence to='" + *room + "/n" + strconv.Itoa(i+1) + "'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x></presence>"
}

// joinAll logs in and joins the first occupant (who creates the room and accepts the default
// configuration if it is new: an instant room), then the others, -c at a time.
func joinAll(end time.Time) ([]*occupant, error) {
	occ := make([]*occupant, *occupants)
	join := func(i int) error {
		x, err := login("user"+strconv.Itoa(i+1), "bm", end)
		if err != nil {
			return fmt.Errorf("login user%d: %w", i+1, err)
		}
		o := &occupant{i: i, x: x, joined: make(chan struct{}), failed: make(chan string, 1),
			iq: make(chan string, 1), sem: make(chan struct{}, *window), done: make(chan struct{})}
		occ[i] = o
		x.c.SetDeadline(time.Time{})
		go o.read()
		if err := o.write(joinPresence(i)); err != nil {
			return err
		}
		select {
		case <-o.joined:
			return nil
		case e := <-o.failed:
			return fmt.Errorf("user%d joining %s: %s", i+1, *room, e)
		case <-o.done:
			return fmt.Errorf("user%d: connection closed while joining", i+1)
		case <-time.After(time.Until(end)):
			return fmt.Errorf("user%d: no self-presence (status 110) from %s within %v", i+1, *room, *timeout)
		}
	}
	if err := join(0); err != nil {
		return occ, err
	}
	if occ[0].created {
		occ[0].write("<iq type='set' id='cfg1' to='" + *room + "'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>")
		select {
		case t := <-occ[0].iq:
			if t != "result" {
				return occ, fmt.Errorf("instant room configuration: iq type %s", t)
			}
		case <-time.After(time.Until(end)):
			return occ, errors.New("instant room configuration: no answer")
		}
	}
	var next atomic.Int64
	next.Store(1)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var joinErr error
	for w := 0; w < max(*conc, 1); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				mu.Lock()
				stop := joinErr != nil
				mu.Unlock()
				if stop || i >= *occupants {
					return
				}
				if err := join(i); err != nil {
					mu.Lock()
					joinErr = cmp.Or(joinErr, err)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return occ, joinErr
}

func closeAll(occ []*occupant) {
	for _, o := range occ {
		if o != nil {
			o.x.c.SetDeadline(time.Now().Add(3 * time.Second))
			o.write("</stream:stream>")
		}
	}
	time.Sleep(200 * time.Millisecond)
	for _, o := range occ {
		if o != nil {
			o.x.c.Close()
			<-o.done
		}
	}
}

// ---------- the reader: a byte scanner, not an XML decoder ----------

func hasAttr(tag []byte, name, value string) bool {
	return bytes.Contains(tag, []byte(name+"='"+value+"'")) || bytes.Contains(tag, []byte(name+`="`+value+`"`))
}

// read scans the stream tag by tag (ReadSlice('>')): encoding/xml would cost more CPU than the
// server under test spends per delivery. It recognises our own join presence (status 110,
// 201 when the room is new), presence errors, the configuration IQ's answer, message errors
// and bodies of the form t<sendtime>s<sender>. Runs until the connection closes.
func (o *occupant) read() {
	defer close(o.done)
	var stanza byte // 'm' message, 'p' presence, 'i' iq, 0 other
	var isErr, s110, s201, inBody bool
	var errText []byte
	for {
		seg, err := o.x.br.ReadSlice('>')
		if err == bufio.ErrBufferFull {
			inBody = false
			continue
		}
		if err != nil {
			return
		}
		if inBody {
			inBody = false
			if stanza == 'm' && !isErr {
				o.body(seg)
				continue
			}
		}
		k := bytes.LastIndexByte(seg, '<')
		if k < 0 {
			continue
		}
		tag := seg[k:]
		if isErr && len(errText) < 400 {
			errText = append(errText, seg...)
		}
		switch {
		case bytes.HasPrefix(tag, []byte("<body")):
			inBody = len(tag) == 6 || (tag[5] == ' ' && !bytes.HasSuffix(tag, []byte("/>")))
		case bytes.HasPrefix(tag, []byte("<message")), bytes.HasPrefix(tag, []byte("<presence")), bytes.HasPrefix(tag, []byte("<iq")):
			stanza, isErr, s110, s201, errText = tag[1], hasAttr(tag, "type", "error"), false, false, errText[:0]
			if isErr {
				errText = append(errText, tag...)
			}
			if stanza == 'i' && hasAttr(tag, "id", "cfg1") {
				t := "error"
				if hasAttr(tag, "type", "result") {
					t = "result"
				}
				select {
				case o.iq <- t:
				default:
				}
			}
			if bytes.HasSuffix(tag, []byte("/>")) {
				stanza = 0
			}
		case stanza == 'p' && bytes.HasPrefix(tag, []byte("<status")):
			s110 = s110 || hasAttr(tag, "code", "110")
			s201 = s201 || hasAttr(tag, "code", "201")
		case bytes.HasPrefix(tag, []byte("</presence")):
			if isErr {
				select {
				case o.failed <- string(errText):
				default:
				}
			} else if s110 {
				select {
				case <-o.joined:
				default:
					o.created = s201
					close(o.joined)
				}
			}
			stanza = 0
		case bytes.HasPrefix(tag, []byte("</message")):
			if isErr {
				msgErrs.Add(1)
				firstErr.CompareAndSwap(nil, string(errText))
				// Our message bounced (a room's rate limit is type='wait'): its token
				// comes back after a pause, as a client would retry, not at once.
				time.AfterFunc(100*time.Millisecond, func() {
					select {
					case o.sem <- struct{}{}:
					default:
					}
				})
			}
			stanza = 0
		case bytes.HasPrefix(tag, []byte("</iq")):
			stanza = 0
		}
	}
}

// body handles the text after <body>: "t<sendtime>s<sender></body>".
func (o *occupant) body(seg []byte) {
	k := bytes.Index(seg, []byte("</body>"))
	if k < 2 || seg[0] != 't' {
		return
	}
	s := bytes.IndexByte(seg[:k], 's')
	if s < 0 {
		return
	}
	ts, err1 := strconv.ParseInt(string(seg[1:s]), 10, 64)
	from, err2 := strconv.Atoi(string(seg[s+1 : k]))
	if err1 != nil || err2 != nil {
		return
	}
	now := mono()
	recvAll.Add(1)
	if we := warmEnd.Load(); we != 0 && now >= we && now < measEnd.Load() {
		o.lats = append(o.lats, now-ts)
		recvWin.Add(1)
	}
	if from == o.i {
		select {
		case o.sem <- struct{}{}:
		default:
		}
	}
}

// ---------- measurement ----------

func measure(occ []*occupant) {
	n, S := len(occ), *senders
	for _, o := range occ[:S] {
		for j := 0; j < *window; j++ {
			o.sem <- struct{}{}
		}
	}
	// Senders blocked by a stuck server give up at the end of the drain.
	for _, o := range occ {
		o.x.c.SetWriteDeadline(time.Now().Add(*warmup + *duration + *drain))
	}
	start := mono()
	measEnd.Store(start + int64(*warmup) + int64(*duration))
	warmEnd.Store(start + int64(*warmup))
	stop := make(chan struct{})
	timer := time.AfterFunc(*warmup+*duration, func() { close(stop) })
	defer timer.Stop()
	var cpuSrv, cpuSelf float64
	cpuDone := make(chan struct{})
	go func() { // CPU over the measured window only
		defer close(cpuDone)
		time.Sleep(*warmup)
		s0, l0 := serverCPU(), selfCPU()
		select {
		case <-stop:
		case <-time.After(*duration + time.Second):
		}
		cpuSrv, cpuSelf = serverCPU()-s0, selfCPU()-l0
	}()
	end := measEnd.Load()
	var wg sync.WaitGroup
	for _, o := range occ[:S] {
		wg.Add(1)
		go func(o *occupant) {
			defer wg.Done()
			pre := "<message type='groupchat' to='" + *room + "'><body>t"
			suf := "s" + strconv.Itoa(o.i) + "</body></message>"
			buf := make([]byte, 0, len(pre)+len(suf)+24)
			for {
				select {
				case <-o.sem:
				case <-stop:
					return
				}
				ts := mono()
				if ts >= end {
					return
				}
				buf = append(strconv.AppendInt(append(buf[:0], pre...), ts, 10), suf...)
				o.wmu.Lock()
				_, err := o.x.c.Write(buf)
				o.wmu.Unlock()
				if err != nil {
					return
				}
				sentAll.Add(1)
				if ts >= warmEnd.Load() {
					sentWin.Add(1)
				}
			}
		}(o)
	}
	wg.Wait()
	<-cpuDone
	// Drain: every occupant (the sender too) should receive every message the room took.
	want := func() int64 { return (sentAll.Load() - msgErrs.Load()) * int64(n) }
	last, lastChange := recvAll.Load(), time.Now()
	for deadline := time.Now().Add(*drain); recvAll.Load() < want() && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		if r := recvAll.Load(); r != last {
			last, lastChange = r, time.Now()
		} else if time.Since(lastChange) > 3*time.Second {
			break
		}
	}
	var all []int64
	for _, o := range occ {
		all = append(all, o.lats...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	meas := duration.Seconds()
	out["duration_s"] = meas
	out["warmup_s"] = warmup.Seconds()
	out["sent_total"] = sentAll.Load()
	out["deliveries_total"] = recvAll.Load()
	out["lost"] = want() - recvAll.Load()
	out["msg_errors"] = msgErrs.Load()
	if e := firstErr.Load(); e != nil {
		out["first_msg_error"] = e
	}
	out["msgs_sent_per_s"] = float64(sentWin.Load()) / meas
	out["deliveries_per_s"] = float64(recvWin.Load()) / meas
	out["p50_ms"], out["p90_ms"], out["p99_ms"], out["max_ms"] = pct(all, .5), pct(all, .9), pct(all, .99), pct(all, 1)
	if *pid > 0 {
		out["server_cpu_s"] = cpuSrv
	}
	out["loadgen_cpu_s"] = cpuSelf
}

func pct(v []int64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	return float64(v[int(float64(len(v)-1)*p)]) / 1e6
}

// serverCPU is utime+stime of -pid in seconds (fields 14 and 15 of /proc/PID/stat).
func serverCPU() float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(*pid) + "/stat")
	if *pid <= 0 || err != nil {
		return 0
	}
	s := string(b)
	fs := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fs) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(fs[11], 10, 64)
	st, _ := strconv.ParseInt(fs[12], 10, 64)
	return float64(u+st) / 100
}

func selfCPU() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// ---------- login: STARTTLS, SCRAM, bind, presence (from ../shared/bench/loadgen) ----------

type conn struct {
	c   net.Conn
	br  *bufio.Reader
	dec *xml.Decoder
}

type features struct {
	StartTLS *struct{} `xml:"urn:ietf:params:xml:ns:xmpp-tls starttls"`
	Mechs    []string  `xml:"urn:ietf:params:xml:ns:xmpp-sasl mechanisms>mechanism"`
	Bind     *struct{} `xml:"urn:ietf:params:xml:ns:xmpp-bind bind"`
	Session  *struct {
		Optional *struct{} `xml:"optional"`
	} `xml:"urn:ietf:params:xml:ns:xmpp-session session"`
}

type elem struct {
	XMLName xml.Name
	Type    string `xml:"type,attr"`
	ID      string `xml:"id,attr"`
	Inner   string `xml:",innerxml"`
}

func (x *conn) write(s string) error {
	_, err := io.WriteString(x.c, s)
	return err
}

func (x *conn) openStream() (*features, error) {
	if err := x.write("<?xml version='1.0'?><stream:stream to='" + *domain + "' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"); err != nil {
		return nil, err
	}
	// bufio.Reader is an io.ByteReader: the decoder reads no further than the element it
	// returns, so the byte scanner can take over the same reader after login.
	x.dec = xml.NewDecoder(x.br)
	se, err := x.nextStart()
	if err != nil {
		return nil, err
	}
	if se.Name.Local != "stream" {
		return nil, fmt.Errorf("expected stream, got %s", se.Name.Local)
	}
	if se, err = x.nextStart(); err != nil {
		return nil, err
	}
	if se.Name.Local != "features" {
		return nil, fmt.Errorf("expected features, got %s", se.Name.Local)
	}
	var f features
	return &f, x.dec.DecodeElement(&f, &se)
}

func (x *conn) nextStart() (xml.StartElement, error) {
	for {
		t, err := x.dec.Token()
		if err != nil {
			return xml.StartElement{}, err
		}
		switch v := t.(type) {
		case xml.StartElement:
			return v, nil
		case xml.EndElement:
			if v.Name.Local == "stream" {
				return xml.StartElement{}, errors.New("stream closed by server")
			}
		}
	}
}

func (x *conn) nextElem() (*elem, error) {
	se, err := x.nextStart()
	if err != nil {
		return nil, err
	}
	var e elem
	if err := x.dec.DecodeElement(&e, &se); err != nil {
		return nil, err
	}
	if se.Name.Local == "error" && se.Name.Space == "http://etherx.jabber.org/streams" {
		return nil, fmt.Errorf("stream error: %s", e.Inner)
	}
	return &e, nil
}

func (x *conn) waitIQ(id string) (*elem, error) {
	for i := 0; i < 10000; i++ {
		e, err := x.nextElem()
		if err != nil {
			return nil, err
		}
		if e.XMLName.Local == "iq" && e.ID == id {
			if e.Type != "result" {
				return e, fmt.Errorf("iq %s: type=%s %s", id, e.Type, e.Inner)
			}
			return e, nil
		}
	}
	return nil, errors.New("too many stanzas while waiting for iq")
}

var saltCache sync.Map // mech|salt|iter -> salted password: PBKDF2 once for shared records

func hmacSum(h func() hash.Hash, key, msg []byte) []byte {
	m := hmac.New(h, key)
	m.Write(msg)
	return m.Sum(nil)
}

func (x *conn) authSCRAM(user string) error {
	h := sha1.New
	if *mech == "SCRAM-SHA-256" {
		h = sha256.New
	}
	nb := make([]byte, 18)
	rand.Read(nb)
	cnonce := base64.RawStdEncoding.EncodeToString(nb)
	cfb := "n=" + user + ",r=" + cnonce
	if err := x.write("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='" + *mech + "'>" + base64.StdEncoding.EncodeToString([]byte("n,,"+cfb)) + "</auth>"); err != nil {
		return err
	}
	e, err := x.nextElem()
	if err != nil {
		return err
	}
	if e.XMLName.Local != "challenge" {
		return fmt.Errorf("scram: expected challenge, got %s %s", e.XMLName.Local, e.Inner)
	}
	sfm, err := base64.StdEncoding.DecodeString(strings.TrimSpace(e.Inner))
	if err != nil {
		return err
	}
	var rnonce, salt64 string
	iter := 0
	for _, p := range strings.Split(string(sfm), ",") {
		switch {
		case strings.HasPrefix(p, "r="):
			rnonce = p[2:]
		case strings.HasPrefix(p, "s="):
			salt64 = p[2:]
		case strings.HasPrefix(p, "i="):
			iter, _ = strconv.Atoi(p[2:])
		}
	}
	if !strings.HasPrefix(rnonce, cnonce) || iter <= 0 {
		return fmt.Errorf("scram: bad server-first %q", sfm)
	}
	salt, err := base64.StdEncoding.DecodeString(salt64)
	if err != nil {
		return err
	}
	key := *mech + "|" + salt64 + "|" + strconv.Itoa(iter)
	var salted []byte
	if v, ok := saltCache.Load(key); ok {
		salted = v.([]byte)
	} else if salted, err = pbkdf2.Key(h, *password, salt, iter, h().Size()); err != nil {
		return err
	} else {
		saltCache.Store(key, salted)
	}
	clientKey := hmacSum(h, salted, []byte("Client Key"))
	hh := h()
	hh.Write(clientKey)
	cfwp := "c=biws,r=" + rnonce // biws = base64("n,,")
	authMsg := []byte(cfb + "," + string(sfm) + "," + cfwp)
	sig := hmacSum(h, hh.Sum(nil), authMsg)
	proof := make([]byte, len(clientKey))
	for i := range proof {
		proof[i] = clientKey[i] ^ sig[i]
	}
	serverSig := hmacSum(h, hmacSum(h, salted, []byte("Server Key")), authMsg)
	if err := x.write("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" + base64.StdEncoding.EncodeToString([]byte(cfwp+",p="+base64.StdEncoding.EncodeToString(proof))) + "</response>"); err != nil {
		return err
	}
	if e, err = x.nextElem(); err != nil {
		return err
	}
	if e.XMLName.Local == "challenge" { // legacy: v= in a challenge
		x.write("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>")
		inner := e.Inner
		if e, err = x.nextElem(); err != nil {
			return err
		}
		if e.XMLName.Local == "success" && strings.TrimSpace(e.Inner) == "" {
			e.Inner = inner
		}
	}
	if e.XMLName.Local != "success" {
		return fmt.Errorf("scram: auth failed: %s %s", e.XMLName.Local, e.Inner)
	}
	sfin, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(e.Inner))
	if string(sfin) != "v="+base64.StdEncoding.EncodeToString(serverSig) {
		return fmt.Errorf("scram: bad server signature %q", sfin)
	}
	return nil
}

// X25519 only, no session cache, no certificate verification: as the harness's loadgen.
var tlsCfg = &tls.Config{InsecureSkipVerify: true, CurvePreferences: []tls.CurveID{tls.X25519}}

// login: connect, STARTTLS, SCRAM, bind, [session], initial presence, and a ping round trip
// (so the presence has been processed).
func login(user, res string, deadline time.Time) (*conn, error) {
	d := net.Dialer{Deadline: deadline}
	c, err := d.Dial("tcp", *addr)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(deadline)
	x := &conn{c: c, br: bufio.NewReaderSize(c, 8192)}
	ok := false
	defer func() {
		if !ok {
			c.Close()
		}
	}()
	f, err := x.openStream()
	if err != nil {
		return nil, err
	}
	if f.StartTLS == nil {
		return nil, errors.New("server offers no STARTTLS")
	}
	x.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
	e, err := x.nextElem()
	if err != nil {
		return nil, err
	}
	if e.XMLName.Local != "proceed" {
		return nil, fmt.Errorf("starttls: %s", e.XMLName.Local)
	}
	cfg := tlsCfg.Clone()
	cfg.ServerName = *domain
	tc := tls.Client(c, cfg)
	if err := tc.Handshake(); err != nil {
		return nil, fmt.Errorf("tls handshake: %w", err)
	}
	x.c = tc
	x.br = bufio.NewReaderSize(tc, 16384)
	if f, err = x.openStream(); err != nil {
		return nil, err
	}
	if !contains(f.Mechs, *mech) {
		return nil, fmt.Errorf("server does not offer %s (offers %v)", *mech, f.Mechs)
	}
	if err := x.authSCRAM(user); err != nil {
		return nil, err
	}
	if f, err = x.openStream(); err != nil {
		return nil, err
	}
	if f.Bind == nil {
		return nil, errors.New("no bind feature")
	}
	x.write("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" + res + "</resource></bind></iq>")
	if _, err := x.waitIQ("b1"); err != nil {
		return nil, err
	}
	if f.Session != nil && f.Session.Optional == nil {
		x.write("<iq type='set' id='s1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>")
		if _, err := x.waitIQ("s1"); err != nil {
			return nil, err
		}
	}
	x.write("<presence/><iq type='get' id='p1' to='" + *domain + "'><ping xmlns='urn:xmpp:ping'/></iq>")
	if _, err := x.waitIQ("p1"); err != nil {
		return nil, err
	}
	ok = true
	return x, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
