package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// clockTicks is USER_HZ, the unit of the CPU times in /proc/<pid>/stat;
// 100 on every Linux architecture Go supports.
const clockTicks = 100

// procStatus reads VmRSS and VmHWM (kB) from /proc/<pid>/status.
func procStatus(pid int) (rss, hwm int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/%d/status: %s: %w", pid, k, err)
		}
		if k == "VmRSS" {
			rss = n
		} else {
			hwm = n
		}
	}
	return rss, hwm, sc.Err()
}

// procPss reads Pss (kB) from /proc/<pid>/smaps_rollup: the process's
// resident memory with each shared page divided among its sharers, the
// fair figure for a set of processes sharing libraries (Postfix).
func procPss(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Pss:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				return strconv.ParseInt(f[0], 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("/proc/%d/smaps_rollup: no Pss", pid)
}

// procStat returns a process's parent and its CPU time: its own user and
// system time plus that of its children it has waited for.
func procStat(pid int) (ppid int, cpu time.Duration, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); ppid is field 4, utime..cstime fields 14-17.
	if len(f) < 15 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	ppid, _ = strconv.Atoi(f[1])
	var ticks int64
	for _, s := range f[11:15] {
		n, _ := strconv.ParseInt(s, 10, 64)
		ticks += n
	}
	return ppid, time.Duration(ticks) * time.Second / clockTicks, nil
}

// tree returns roots and all their living descendants.
func tree(roots []int) []int {
	parent := map[int]int{}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		if pp, _, err := procStat(pid); err == nil {
			parent[pid] = pp
		}
	}
	in := map[int]bool{}
	for _, r := range roots {
		in[r] = true
	}
	// Descendants: follow parents up until a root or the top.
	for pid := range parent {
		for p, hops := pid, 0; p > 1 && hops < 64; p, hops = parent[p], hops+1 {
			if in[p] {
				in[pid] = true
				break
			}
		}
	}
	out := make([]int, 0, len(in))
	for pid := range in {
		out = append(out, pid)
	}
	slices.Sort(out)
	return out
}

// usage is the memory and CPU of a set of process trees at one moment.
type usage struct {
	rss  int64 // kB: VmRSS of a single process, the sum of Pss of several
	hwm  int64 // kB, VmHWM of a single process (0 for several)
	cpu  time.Duration
	live int
}

func measure(roots []int) usage {
	var u usage
	pids := tree(roots)
	for _, pid := range pids {
		rss, hwm, err := procStatus(pid)
		if err != nil {
			continue
		}
		u.live++
		if len(pids) == 1 {
			u.hwm = hwm
		} else if pss, err := procPss(pid); err == nil {
			rss = pss
		}
		u.rss += rss
		if _, cpu, err := procStat(pid); err == nil {
			u.cpu += cpu
		}
	}
	return u
}

// sampler samples the memory of some process trees at a fixed interval.
type sampler struct {
	roots []int
	start usage
	begin time.Time

	mu      sync.Mutex
	samples []int64

	stopc chan struct{}
	done  chan struct{}
}

func startSampler(roots []int, every time.Duration) *sampler {
	s := &sampler{roots: roots, start: measure(roots), begin: time.Now(),
		stopc: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-s.stopc:
				return
			case <-t.C:
				if u := measure(s.roots); u.live > 0 {
					s.mu.Lock()
					s.samples = append(s.samples, u.rss)
					s.mu.Unlock()
				}
			}
		}
	}()
	return s
}

// memResult is what a sampler measured, in KiB: the resident set (VmRSS)
// of a single process, or the sum of the proportional sets (Pss) of
// several.
type memResult struct {
	Processes int    `json:"processes"`
	Measure   string `json:"measure"` // "rss" or "pss"

	BaselineKiB int64   `json:"baseline_kib"`
	PeakKiB     int64   `json:"peak_kib"`
	HWMKiB      int64   `json:"hwm_kib,omitempty"`
	SteadyKiB   int64   `json:"steady_kib"`
	EndKiB      int64   `json:"end_kib"`
	Samples     int     `json:"samples"`
	CPUSeconds  float64 `json:"cpu_seconds"`
}

// stop ends sampling. Peak is the largest sample; steady is the median of
// the second half of the samples, after the ramp-up. For a single process
// VmHWM, its lifetime peak, is reported too: it catches spikes between
// samples. CPU time is approximate for trees whose processes come and go.
func (s *sampler) stop() *memResult {
	close(s.stopc)
	<-s.done
	end := measure(s.roots)
	s.mu.Lock()
	samples := slices.Clone(s.samples)
	s.mu.Unlock()
	r := &memResult{Processes: end.live, Measure: "rss", BaselineKiB: s.start.rss, EndKiB: end.rss, Samples: len(samples),
		HWMKiB: end.hwm, CPUSeconds: (end.cpu - s.start.cpu).Seconds()}
	if end.live > 1 {
		r.Measure = "pss"
	}
	if len(samples) > 0 {
		r.PeakKiB = slices.Max(samples)
		late := slices.Clone(samples[len(samples)/2:])
		slices.Sort(late)
		r.SteadyKiB = late[len(late)/2]
	}
	r.PeakKiB = max(r.PeakKiB, end.rss)
	return r
}

func (r *memResult) write(w io.Writer) {
	fmt.Fprintf(w, "memory: %d processes; %s baseline %s, peak %s, steady %s, at the end %s (%d samples)\n",
		r.Processes, strings.ToUpper(r.Measure), mib(r.BaselineKiB), mib(r.PeakKiB), mib(r.SteadyKiB), mib(r.EndKiB), r.Samples)
	if r.HWMKiB > 0 {
		fmt.Fprintf(w, "memory: VmHWM (lifetime peak) %s\n", mib(r.HWMKiB))
	}
	fmt.Fprintf(w, "cpu: %.2f s used by the relay during the run\n", r.CPUSeconds)
}

func mib(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }
