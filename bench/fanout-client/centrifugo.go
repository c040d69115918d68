// Centrifugo's bidirectional JSON client protocol (v2), as its client SDKs speak it: after
// the websocket upgrade the client sends a connect command carrying its JWT; the reply
// {"id":1,"connect":{...,"subs":{"<channel>":{...}}}} lists the server-side subscriptions
// the token's `channels` claim made. The server then sends replies without id ("pushes"),
// several of them in one websocket frame separated by newlines; a publication is
// {"push":{"channel":"...","pub":{"data":<the published JSON>,...}}}. An empty reply {} is
// the server's ping, answered with an empty command {} (or the server disconnects the
// client after its pong timeout).
package main

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/gorilla/websocket"
)

var (
	pubField     = []byte(`"pub":`)
	emptyMessage = []byte(`{}`)
)

func openCentrifugo(i int) (*conn, error) {
	ws, err := dial(i, nil)
	if err != nil {
		return nil, err
	}
	jwt := token(fmt.Sprintf("%s%d", *prefix, i), map[string]any{"channels": []string{*channel}})
	if err := ws.WriteMessage(websocket.TextMessage, []byte(`{"id":1,"connect":{"token":"`+jwt+`","name":"fanout-client"}}`)); err != nil {
		ws.Close()
		return nil, err
	}
	ws.SetReadDeadline(time.Now().Add(60 * time.Second))
	_, data, err := ws.ReadMessage()
	if err != nil {
		ws.Close()
		return nil, err
	}
	// The connect reply comes first: nothing else is sent to a connection before it.
	reply, _, _ := bytes.Cut(data, []byte("\n"))
	if !bytes.HasPrefix(reply, []byte(`{"id":1,"connect":`)) {
		ws.Close()
		return nil, fmt.Errorf("connect refused: %s", reply)
	}
	if !bytes.Contains(reply, []byte(`"subs":{"`+*channel+`":`)) {
		ws.Close()
		return nil, errors.New("connected without the server-side subscription to " + *channel + ": " + string(reply))
	}
	ws.SetReadDeadline(time.Time{})
	c := &conn{ws: ws}
	go c.readCentrifugo(ws)
	return c, nil
}

// readCentrifugo splits every frame into its newline-separated replies and counts each
// publication; pings are answered.
func (c *conn) readCentrifugo(ws *websocket.Conn) {
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		now := time.Now().UnixNano()
		for len(data) > 0 {
			var line []byte
			line, data, _ = bytes.Cut(data, []byte("\n"))
			switch {
			case bytes.Equal(line, emptyMessage):
				c.wmu.Lock()
				err := ws.WriteMessage(websocket.TextMessage, emptyMessage)
				c.wmu.Unlock()
				if err != nil {
					return
				}
			case bytes.HasPrefix(line, []byte(`{"push":`)) && bytes.Contains(line, pubField):
				c.record(line, now)
			}
		}
	}
}
