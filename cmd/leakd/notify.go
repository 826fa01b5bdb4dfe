package main

import (
	"context"
	"log/slog"
	"time"

	systemd "github.com/coreos/go-systemd/v22/daemon"
)

// leakd speaks systemd's notify protocol (sd_notify(3)) when systemd runs
// it with Type=notify (deploy/systemd/leakd.service); elsewhere
// NOTIFY_SOCKET is unset and every call does nothing.
//
//   - READY=1 once the listeners are open: units ordered after leakd, and
//     `systemctl start`, wait for a relay that answers.
//   - RELOADING=1 and READY=1 around a SIGHUP's reload.
//   - STOPPING=1 when the drain begins.
//   - WATCHDOG=1 at half of WatchdogSec, from the loop that serves signals
//     (see watch): a daemon whose main loop hangs is killed and restarted
//     (Restart=on-failure) instead of holding port 25 without answering.

// notifier sends the daemon's state to systemd. The zero value works.
type notifier struct{ log *slog.Logger }

func (n notifier) send(state string) {
	// The socket is kept in the environment: `leakd` runs nothing that
	// would inherit it, and a failed send is logged, never fatal.
	if _, err := systemd.SdNotify(false, state); err != nil && n.log != nil {
		n.log.Warn("systemd notify failed", "state", state, "err", err)
	}
}

// ready says the listeners are open.
func (n notifier) ready() { n.send(systemd.SdNotifyReady) }

// reloading says a reload began; ready says it ended.
func (n notifier) reloading() {
	n.send(systemd.SdNotifyReloading + "\n" + systemd.SdNotifyMonotonicUsec())
}

// stopping says the drain began.
func (n notifier) stopping() { n.send(systemd.SdNotifyStopping) }

// watchdogEvery is how often to ping systemd's watchdog, or 0 when it is
// off: half of WatchdogSec, as sd_watchdog_enabled(3) advises.
func (n notifier) watchdogEvery() time.Duration {
	d, err := systemd.SdWatchdogEnabled(false)
	if err != nil {
		if n.log != nil {
			n.log.Warn("systemd watchdog: ignoring a bad WATCHDOG_USEC", "err", err)
		}
		return 0
	}
	return d / 2
}

// watchdog returns a channel that ticks at half of WatchdogSec until ctx
// is done, or nil (never ready) when the watchdog is off. The caller pings
// with ping() from its own loop, so a ping proves that loop still runs.
func (n notifier) watchdog(ctx context.Context) <-chan time.Time {
	every := n.watchdogEvery()
	if every <= 0 {
		return nil
	}
	t := time.NewTicker(every)
	go func() {
		<-ctx.Done()
		t.Stop()
	}()
	return t.C
}

// ping feeds the watchdog.
func (n notifier) ping() { n.send(systemd.SdNotifyWatchdog) }
