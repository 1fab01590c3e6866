// Writes lines with Go's standard log package under several flag combinations, then a
// log/slog text line where the toolchain has it (1.21+ only: see stdlog_slog.go in the test).
package main

import (
	"log"
	"os"
)

func main() {
	l := log.New(os.Stdout, "", log.LstdFlags)
	l.Print("server started on :8080")
	l.SetFlags(log.LstdFlags | log.Lmicroseconds | log.Lshortfile)
	l.Printf("dial tcp 10.0.0.7:5432: connect: connection refused")
	l.SetFlags(log.LstdFlags | log.Llongfile | log.LUTC)
	l.Print("[ERROR] upstream timeout after 2s")
	l.SetPrefix("payments: ")
	l.SetFlags(log.LstdFlags | log.Lshortfile)
	l.Print("WARN: retrying charge 42")
	l.SetFlags(log.LstdFlags | log.Lshortfile | log.Lmsgprefix)
	l.Print("pool exhausted (20/20 in use)")
}
