// Package e2e tests the serve command as operators run it: the real program on loopback,
// driven by real HTTP clients (curl, wget, aria2c, hey). It has no code of its own; the
// tests build the command, start it as a subprocess and check what the clients receive and
// what the store holds. Tools that are not installed make their tests skip.
package e2e
