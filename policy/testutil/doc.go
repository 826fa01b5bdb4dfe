// Package testutil holds the helpers Leak's tests share: loopback
// listeners and ports, external tools, polling with a deadline, a log
// buffer safe for concurrent writers, and an authoritative DNS server.
//
// It lives under policy, the lowest room every test package may import
// (the top level of the repository is fixed, and dependencies point one
// way: cmd → relay → policy → metrics), and imports nothing of Leak.
// metrics, below policy, keeps its one small helper to itself.
//
// It is imported only by _test.go files. Each helper reports through the
// testing.TB it is given and cleans up after itself with t.Cleanup, so a
// test never has to remember to close what a helper opened.
package testutil
