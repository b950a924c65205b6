package cli

import (
	"strconv"

	"github.com/hashstore-go/hashstore/converter"
)

// shardIndexEnv is where --shard-count finds the index of its shard: the variable a
// Kubernetes Indexed Job sets in each of its pods.
const shardIndexEnv = "JOB_COMPLETION_INDEX"

// resolveShard is the shard of a bulk run: --shard I/N, or --shard-count N with I from
// $JOB_COMPLETION_INDEX, or the whole source.
func (b *bulkFlags) resolveShard(getenv func(string) string) (converter.Shard, error) {
	switch {
	case b.shard != "" && b.shardCount != 0:
		return converter.Shard{}, UsageErrorf("--shard and --shard-count exclude each other")
	case b.shard != "":
		s, err := converter.ParseShard(b.shard)
		if err != nil {
			return converter.Shard{}, UsageErrorf("--shard: %v", err)
		}
		return s, nil
	case b.shardCount != 0:
		v := getenv(shardIndexEnv)
		i, err := strconv.Atoi(v)
		if b.shardCount < 1 || err != nil || i < 0 || i >= b.shardCount {
			return converter.Shard{}, UsageErrorf("--shard-count %d takes the shard's index from $%s, which is %q: want 0 to %d",
				b.shardCount, shardIndexEnv, v, b.shardCount-1)
		}
		return converter.Shard{Index: i, Count: b.shardCount}, nil
	}
	return converter.Shard{}, nil
}
