// Package client is a Go client of a hashstore server's native routes (package server) that
// implements hashstore.Store, so that code written against the library's interfaces works on
// a store served over HTTP, and the library's conformance suite can check the server end to
// end.
//
// Errors come back as the library returns them: a *hashstore.OpError naming the operation
// and identifier, wrapping an error with the server's message that matches the same sentinel
// under errors.Is and the same typed error under errors.As. Paths (FindObject, StoreMetadata)
// are the server's paths relative to the store's root, joined to the root given with WithRoot.
//
// Reads: with the write token (WithToken) RetrieveObject asks for the bytes on disk, as the
// library's RetrieveObject gives them; without it the server verifies what it sends and cuts a
// corrupt object short. Either way WithVerify makes the client hash what it receives and
// report a *hashstore.CorruptObjectError at end of file, as the library does.
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/server/internal/wire"
)

// Client talks to one server. It is safe for concurrent use.
type Client struct {
	base  string // scheme://host[:port][/prefix], no trailing slash
	hc    *http.Client
	token string
	root  string
}

var _ hashstore.Store = (*Client)(nil)

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sends requests through hc (default: http.DefaultClient).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithToken authenticates with the server's write token: it allows writes, reads of every
// object, and unverified reads.
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// WithRoot joins the relative paths the server reports to root (a path where the caller sees
// the store, or "" to keep them relative).
func WithRoot(root string) Option { return func(c *Client) { c.root = root } }

// New returns a client of the server at baseURL (e.g. "http://127.0.0.1:8080"; the native
// routes are under /hs/v1 there).
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("client: base URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("client: base URL %q is not http(s)://host", baseURL)
	}
	c := &Client{base: strings.TrimSuffix(baseURL, "/"), hc: http.DefaultClient}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// url builds the URL of a native route followed by an identifier, escaped as one path
// segment ("/" becomes %2F; "+" stays "+", which the server keeps as it is).
func (c *Client) url(route, id string, query url.Values) string {
	u := c.base + route + url.PathEscape(id)
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	return u
}

// request builds a request with the token, if any.
func (c *Client) request(ctx context.Context, method, u string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return req, nil
}

// do sends req and returns the response when its status is want; otherwise it returns the
// error the response describes, and what came with it.
func (c *Client) do(req *http.Request, want int) (*http.Response, *wire.ErrorResponse, error) {
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode == want {
		return resp, nil, nil
	}
	defer resp.Body.Close()
	eb, err := readError(resp)
	return nil, eb, err
}

// readError turns a failed response into the error it carries.
func readError(resp *http.Response) (*wire.ErrorResponse, error) {
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if ct == "application/json" {
		var body wire.ErrorResponse
		data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err == nil && json.Unmarshal(data, &body) == nil && body.Error.Kind != "" {
			return &body, body.Error.Err()
		}
	}
	return nil, fmt.Errorf("hashstore server: %s %s: %s", resp.Request.Method, resp.Request.URL.Redacted(), resp.Status)
}

// decode reads a JSON response body into v.
func decode(resp *http.Response, v any) error {
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// join makes a path the server reported relative to the root a path under WithRoot's root.
func (c *Client) join(rel string) string {
	if rel == "" || c.root == "" {
		return rel
	}
	return filepath.Join(c.root, filepath.FromSlash(rel))
}

func (c *Client) joinInfo(info hashstore.ObjectInfo) hashstore.ObjectInfo {
	info.ObjectPath = c.join(info.ObjectPath)
	info.CIDRefsPath = c.join(info.CIDRefsPath)
	info.PIDRefsPath = c.join(info.PIDRefsPath)
	info.SysmetaPath = c.join(info.SysmetaPath)
	return info
}

// opErr wraps an error that happened on this side (the request could not be made, the
// connection failed) as the library names its errors.
func opErr(op, id string, err error) error {
	if err == nil {
		return nil
	}
	var oe *hashstore.OpError
	if errors.As(err, &oe) {
		return err
	}
	return &hashstore.OpError{Op: op, ID: id, Err: err}
}

// invalid is an invalid-argument error with the library's wording.
func invalid(msg string) error { return fmt.Errorf("%w: %s", hashstore.ErrInvalidArgument, msg) }
