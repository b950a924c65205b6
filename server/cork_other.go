//go:build !linux

package server

import "net"

// setCork: corking is Linux's; elsewhere responses go out as net/http writes them.
func setCork(net.Conn, bool) bool { return false }
