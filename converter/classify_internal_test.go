package converter

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hashstore-go/hashstore/hashstore"
	"github.com/hashstore-go/hashstore/sysmeta"
)

// TestClassify: each error of Convert and StoreFile maps to its report class by the
// library's sentinels and types, however deeply wrapped.
func TestClassify(t *testing.T) {
	t.Parallel()
	wrap := func(err error) error {
		return &hashstore.OpError{Op: "convert", ID: "p", Err: fmt.Errorf("x: %w", err)}
	}
	for _, c := range []struct {
		err  error
		want FailureClass
	}{
		{&hashstore.ChecksumMismatchError{}, ClassNonMatchingChecksum},
		{wrap(hashstore.ErrUnsupportedAlgorithm), ClassNoSuchAlgorithm},
		{wrap(&sysmeta.MissingFieldError{Field: "checksum"}), ClassNoChecksumInSysmeta},
		{wrap(&sysmeta.MissingFieldError{Field: "size"}), ClassInvalidSysmeta},
		{&hashstore.SizeMismatchError{}, ClassSizeMismatch},
		{wrap(sysmeta.ErrMalformed), ClassInvalidSysmeta},
		{wrap(sysmeta.ErrInvalidField), ClassInvalidSysmeta},
		{fmt.Errorf("%w: %w", errSysmetaIdentifier, hashstore.ErrInvalidArgument), ClassInvalidSysmeta},
		{&hashstore.TaggedError{CID: "a", ExistingCID: "b"}, ClassPIDTaggedElsewhere},
		{wrap(&hashstore.CrossDeviceError{}), ClassCrossDevice},
		{wrap(hashstore.ErrSourceChanged), ClassSourceChanged},
		{wrap(hashstore.ErrNotFound), ClassFileNotFound},
		{fmt.Errorf("x: %w", fs.ErrNotExist), ClassFileNotFound},
		{wrap(hashstore.ErrInvalidArgument), ClassGeneralError},
		{errors.New("disk on fire"), ClassGeneralError},
	} {
		require.Equal(t, c.want, classify(c.err), "%v", c.err)
	}
	names := map[FailureClass]bool{}
	for _, c := range FailureClasses() {
		require.False(t, names[c])
		names[c] = true
	}
	require.Len(t, names, 15)
}

// TestReportName: reports are named <class>_<start time in UTC>[shard suffix].txt, as Metacat
// names its conversion reports.
func TestReportName(t *testing.T) {
	t.Parallel()
	started := time.Date(2024, 11, 20, 23, 55, 18, 0, time.FixedZone("CET", 3600))
	require.Equal(t, "nonMatchingChecksum_2024-11-20_22-55-18.txt", reportName(ClassNonMatchingChecksum, started, ""))
	require.Equal(t, "crossDevice_2024-11-20_22-55-18.shard-1-of-4.txt",
		reportName(ClassCrossDevice, started, Shard{Index: 1, Count: 4}.Suffix()))
}
