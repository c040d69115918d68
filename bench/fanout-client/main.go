// The fan-out benchmark's load client: thousands of websocket connections in one process,
// driven line by line on stdin by bench/fanout.ts and bench/centrifugo/compare.ts, answering
// with JSON lines on stdout. -mode msgxc (default) speaks msgxc's websocket protocol;
// -mode centrifugo speaks Centrifugo's JSON client protocol (centrifugo.go).
//
//	connect            open -n connections (user <prefix><i>, HS256 token signed here)
//	reset              zero the counters
//	count              print received messages only (cheap: for polling while messages arrive)
//	stats              print received messages, latency percentiles, first/last receive time, own CPU
//	close              close every connection
//	quit
//
// A message carries its publish time as `"msg":"t=<unix ns>;..."`; latency is receive
// time minus that (both on this machine's clock). Both modes count and time messages the same
// way (record); only the framing differs.
package main

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

type conn struct {
	mu    sync.Mutex
	lat   []int64 // microseconds
	first int64
	last  int64
	ws    *websocket.Conn
	wmu   sync.Mutex // gorilla allows one writer at a time (pongs and close)
}

var (
	url       = flag.String("url", "ws://127.0.0.1:8080/api/v2/ws", "websocket URL")
	n         = flag.Int("n", 1000, "connections")
	secret    = flag.String("secret", "", "HS256 secret (empty: no token, for the bare uWS baseline)")
	prefix    = flag.String("prefix", "u", "user id prefix")
	ready     = flag.String("ready", "unseen", "frame type that marks a connection live")
	sources   = flag.Int("sources", 8, "local source addresses 127.0.0.1..N (more ephemeral ports)")
	parallel  = flag.Int("parallel", 200, "connections opened at once")
	mode      = flag.String("mode", "msgxc", "protocol: msgxc or centrifugo")
	channel   = flag.String("channel", "bench", "centrifugo: channel put in the token's channels claim")
	received  atomic.Int64
	conns     []*conn
	marker    = []byte(`"msg":"t=`)
	msgPrefix = []byte(`{"type":"message"`)
)

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func token(sub string, claims map[string]any) string {
	head := b64([]byte(`{"alg":"HS256","typ":"JWT"}`))
	claims["sub"] = sub
	claims["exp"] = time.Now().Add(24 * time.Hour).Unix()
	body, _ := json.Marshal(claims)
	signing := head + "." + b64(body)
	mac := hmac.New(sha256.New, []byte(*secret))
	mac.Write([]byte(signing))
	return signing + "." + b64(mac.Sum(nil))
}

// record counts one received message whose text carries the publish stamp.
func (c *conn) record(data []byte, now int64) {
	i := bytes.Index(data, marker)
	if i < 0 {
		return
	}
	j := i + len(marker)
	k := j
	for k < len(data) && data[k] >= '0' && data[k] <= '9' {
		k++
	}
	sent, err := strconv.ParseInt(string(data[j:k]), 10, 64)
	if err != nil {
		return
	}
	c.mu.Lock()
	c.lat = append(c.lat, (now-sent)/1000)
	if c.first == 0 {
		c.first = now
	}
	c.last = now
	c.mu.Unlock()
	received.Add(1)
}

// read takes msgxc frames: one message per websocket frame.
func (c *conn) read(ws *websocket.Conn) {
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		if bytes.HasPrefix(data, msgPrefix) {
			c.record(data, time.Now().UnixNano())
		}
	}
}

func dial(i int, h http.Header) (*websocket.Conn, error) {
	src := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(1+i%*sources))}
	d := websocket.Dialer{
		NetDial:          (&net.Dialer{LocalAddr: src, Timeout: 30 * time.Second}).Dial,
		ReadBufferSize:   2048,
		WriteBufferSize:  512,
		HandshakeTimeout: 30 * time.Second,
	}
	ws, _, err := d.Dial(*url, h)
	return ws, err
}

// open connects one msgxc session: token in the Authorization header, live at the -ready frame.
func open(i int) (*conn, error) {
	h := http.Header{}
	if *secret != "" {
		h.Set("Authorization", "Bearer "+token(fmt.Sprintf("%s%d", *prefix, i), map[string]any{"roles": []string{}}))
	}
	ws, err := dial(i, h)
	if err != nil {
		return nil, err
	}
	want := []byte(`{"type":"` + *ready + `"`)
	ws.SetReadDeadline(time.Now().Add(60 * time.Second))
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			ws.Close()
			return nil, err
		}
		if bytes.HasPrefix(data, want) {
			break
		}
	}
	ws.SetReadDeadline(time.Time{})
	c := &conn{ws: ws}
	go c.read(ws)
	return c, nil
}

func connectAll() {
	conns = make([]*conn, *n)
	var failed atomic.Int64
	var firstErr atomic.Value
	sem := make(chan struct{}, *parallel)
	var wg sync.WaitGroup
	for i := 0; i < *n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			connect := open
			if *mode == "centrifugo" {
				connect = openCentrifugo
			}
			c, err := connect(i)
			if err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
				return
			}
			conns[i] = c
		}(i)
	}
	wg.Wait()
	e, _ := firstErr.Load().(string)
	emit(map[string]any{"event": "connected", "n": *n - int(failed.Load()), "failed": failed.Load(), "error": e})
}

func cpu() (float64, float64) {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec) + float64(ru.Utime.Usec)/1e6, float64(ru.Stime.Sec) + float64(ru.Stime.Usec)/1e6
}

func stats() {
	var all []int64
	var first, last int64
	for _, c := range conns {
		if c == nil {
			continue
		}
		c.mu.Lock()
		all = append(all, c.lat...)
		if c.first != 0 && (first == 0 || c.first < first) {
			first = c.first
		}
		if c.last > last {
			last = c.last
		}
		c.mu.Unlock()
	}
	sort.Slice(all, func(a, b int) bool { return all[a] < all[b] })
	pct := func(p float64) int64 {
		if len(all) == 0 {
			return 0
		}
		return all[int(p*float64(len(all)-1))]
	}
	u, s := cpu()
	emit(map[string]any{"event": "stats", "received": received.Load(), "p50_us": pct(0.5), "p99_us": pct(0.99), "max_us": pct(1), "first_ns": first, "last_ns": last, "cpu_user_s": u, "cpu_sys_s": s})
}

func reset() {
	received.Store(0)
	for _, c := range conns {
		if c == nil {
			continue
		}
		c.mu.Lock()
		c.lat = c.lat[:0]
		c.first, c.last = 0, 0
		c.mu.Unlock()
	}
	emit(map[string]any{"event": "reset"})
}

func closeAll() {
	for _, c := range conns {
		if c != nil {
			c.wmu.Lock()
			c.ws.Close()
			c.wmu.Unlock()
		}
	}
	conns = nil
	emit(map[string]any{"event": "closed"})
}

var out = json.NewEncoder(os.Stdout)

func emit(v map[string]any) { out.Encode(v) }

func main() {
	flag.Parse()
	if *mode != "msgxc" && *mode != "centrifugo" {
		fmt.Fprintf(os.Stderr, "-mode must be msgxc or centrifugo, not %q\n", *mode)
		os.Exit(2)
	}
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch in.Text() {
		case "connect":
			connectAll()
		case "reset":
			reset()
		case "count":
			emit(map[string]any{"event": "count", "received": received.Load()})
		case "stats":
			stats()
		case "close":
			closeAll()
		case "quit":
			return
		}
	}
}
