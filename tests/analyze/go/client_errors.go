// Provokes real client errors against the fault lab and prints err.Error() per case as JSON.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

type job struct {
	Name       string  `json:"name"`
	URL        string  `json:"url"`
	Addr       string  `json:"addr"`
	Mode       string  `json:"mode"` // "http" (Client.Timeout), "ctx" (context deadline), "dial" (Dialer.Timeout), "tls"
	TimeoutS   float64 `json:"timeout_s"`
	ServerName string  `json:"server_name"`
}

func main() {
	var in struct {
		CAFile string `json:"cafile"`
		Jobs   []job  `json:"jobs"`
	}
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		panic(err)
	}
	pem, err := os.ReadFile(in.CAFile)
	if err != nil {
		panic(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	out := map[string]string{}
	for _, j := range in.Jobs {
		timeout := time.Duration(j.TimeoutS * float64(time.Second))
		var err error
		switch j.Mode {
		case "tls":
			d := &net.Dialer{Timeout: timeout}
			var c *tls.Conn
			c, err = tls.DialWithDialer(d, "tcp", j.Addr, &tls.Config{RootCAs: pool, ServerName: j.ServerName})
			if err == nil {
				c.Close()
			}
		case "dial":
			tr := &http.Transport{DialContext: (&net.Dialer{Timeout: timeout}).DialContext}
			client := &http.Client{Timeout: 4 * timeout, Transport: tr}
			var resp *http.Response
			resp, err = client.Get(j.URL)
			if err == nil {
				resp.Body.Close()
			}
		case "ctx":
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			req, _ := http.NewRequestWithContext(ctx, "GET", j.URL, nil)
			var resp *http.Response
			resp, err = http.DefaultClient.Do(req)
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			cancel()
		default:
			client := &http.Client{Timeout: timeout}
			var resp *http.Response
			resp, err = client.Get(j.URL)
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
		}
		if err != nil {
			out[j.Name] = err.Error()
		} else {
			out[j.Name] = ""
		}
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
