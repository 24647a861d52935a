package redis

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// call is one run of a compare-and-act script.
type call struct {
	script *redis.Script
	keys   []string
	args   []any
	n      int64
	err    error
}

// run runs a script in a pipeline with the runs other goroutines asked
// for meanwhile: under a burst of fills every miss takes its lock and
// every fill marks it, and one round trip each was a fifth of the
// server's CPU (a write and a read per call on both ends).
func (s *Store) run(ctx context.Context, script *redis.Script, keys []string, args ...any) (int64, error) {
	c := &call{script: script, keys: keys, args: args}
	if err := s.scripts.Do(ctx, c); err != nil {
		return 0, err
	}
	return c.n, c.err
}

// runBatch sends the calls as one pipeline. Each call's own result and
// error are its own; a script Redis no longer holds (restarted, flushed)
// is run again alone, which loads it.
func (s *Store) runBatch(ctx context.Context, calls []*call) error {
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(calls))
	for i, c := range calls {
		cmds[i] = c.script.EvalSha(ctx, pipe, c.keys, c.args...)
	}
	pipe.Exec(ctx) // errors are read per command below
	for i, c := range calls {
		c.n, c.err = cmds[i].Int64()
		if c.err != nil && redis.HasErrorPrefix(c.err, "NOSCRIPT") {
			c.n, c.err = c.script.Run(ctx, s.rdb, c.keys, c.args...).Int64()
		}
	}
	return nil
}
