package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// procStat is a process's command name and process group.
type procStat struct {
	comm string
	pgrp int
}

// readStat reads pid's /proc/PID/stat.
func readStat(pid string) (procStat, bool) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return procStat{}, false // gone meanwhile
	}
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return procStat{}, false
	}
	// The fields after the command's closing parenthesis: state, ppid,
	// pgrp, ...
	f := strings.Fields(string(b[end+1:]))
	if len(f) < 3 {
		return procStat{}, false
	}
	pgrp, _ := strconv.Atoi(f[2])
	return procStat{comm: string(b[open+1 : end]), pgrp: pgrp}, true
}

// threadsCPU is the CPU time process pid has used: the sum of its
// threads' run time in /proc/PID/task/*/schedstat, in nanoseconds, where
// the stat file's user and system times count 10 ms ticks, too coarse
// for what one miss costs.
func threadsCPU(pid string) time.Duration {
	var sum time.Duration
	tasks, _ := os.ReadDir("/proc/" + pid + "/task")
	for _, t := range tasks {
		b, err := os.ReadFile("/proc/" + pid + "/task/" + t.Name() + "/schedstat")
		if err != nil {
			continue
		}
		if ns, err := strconv.ParseInt(strings.Fields(string(b))[0], 10, 64); err == nil {
			sum += time.Duration(ns)
		}
	}
	return sum
}

// cpuTime is the CPU time process pid has used.
func cpuTime(pid int) time.Duration {
	p := strconv.Itoa(pid)
	if _, err := os.Stat("/proc/" + p); err != nil {
		panic(fmt.Sprintf("no process %d", pid))
	}
	return threadsCPU(p)
}

// services are the processes a scale-out ArtifactAPI stores in, by
// command name: on this machine they share the cores with it, as they
// would not in production.
var services = []struct{ comm, name string }{
	{"versitygw", "the S3 server"}, {"postgres", "PostgreSQL"}, {"redis-server", "Redis"},
}

// cpuUse is CPU time used so far: by nginx-cache's processes (its
// process group, workers included) and by each of services.
type cpuUse struct {
	cache    time.Duration
	services map[string]time.Duration
}

func cpuNow(cachePgrp int) cpuUse {
	u := cpuUse{services: map[string]time.Duration{}}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		st, ok := readStat(e.Name())
		if !ok {
			continue
		}
		// Only the processes counted have their threads read.
		if st.pgrp == cachePgrp {
			u.cache += threadsCPU(e.Name())
		}
		for _, s := range services {
			if st.comm == s.comm {
				u.services[s.comm] += threadsCPU(e.Name())
			}
		}
	}
	return u
}

// since is what was used from u0 to u.
func (u cpuUse) since(u0 cpuUse) cpuUse {
	d := cpuUse{cache: u.cache - u0.cache, services: map[string]time.Duration{}}
	for k, v := range u.services {
		d.services[k] = v - u0.services[k]
	}
	return d
}

// plus is u and v added up.
func (u cpuUse) plus(v cpuUse) cpuUse {
	sum := cpuUse{cache: u.cache + v.cache, services: map[string]time.Duration{}}
	for k, d := range u.services {
		sum.services[k] += d
	}
	for k, d := range v.services {
		sum.services[k] += d
	}
	return sum
}

// servicesPer says what each service that ran used per n operations,
// e.g. "the S3 server 5.30 ms, PostgreSQL 310 µs"; "" with none.
func (u cpuUse) servicesPer(n int) string {
	var parts []string
	for _, s := range services {
		if d, ran := u.services[s.comm]; ran {
			parts = append(parts, s.name+" "+perOp(d, n))
		}
	}
	return strings.Join(parts, ", ")
}

func perOp(d time.Duration, n int) string {
	if each := d / time.Duration(n); each < time.Millisecond {
		return fmt.Sprintf("%d µs", each.Microseconds())
	}
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)/float64(n))
}

// coldSettle is how long the cold row waits after its last miss before
// reading the CPU used: ArtifactAPI stores a miss (an S3 upload, a
// commit) after its client has the last byte.
const coldSettle = 300 * time.Millisecond
