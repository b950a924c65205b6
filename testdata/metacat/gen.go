//go:build ignore

// gen writes the sample Metacat repository in this directory: data/ and documents/ with
// docid.rev file names, sysmeta/ with a v1 or v2 SystemMetadata document per object (as an
// export from Metacat's database would write them), and the manifest in both formats
// (manifest.csv, manifest.jsonl). The three reference vectors come from ../vectors; twenty
// small objects are generated deterministically; the last lines are deliberately broken.
//
//	go run testdata/metacat/gen.go   (from the repository root)
package main

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strconv"
)

const dir = "testdata/metacat"

type entry struct {
	PID, Path, Sysmeta, Checksum, Alg string
	Size                              string
}

var entries []entry

func write(rel string, data []byte) {
	p := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		log.Fatal(err)
	}
}

func copyVector(file, rel, sysRel string) {
	data, err := os.ReadFile(filepath.Join("testdata/vectors", file))
	if err != nil {
		log.Fatal(err)
	}
	write(rel, data)
	sm, err := os.ReadFile(filepath.Join("testdata/vectors", file+".xml"))
	if err != nil {
		log.Fatal(err)
	}
	write(sysRel, sm)
}

// sysmetaDoc is a SystemMetadata document in version v (1 or 2); alg "" leaves the checksum out.
func sysmetaDoc(v int, pid, format string, size int, alg, sum string, serial int) []byte {
	ns := "http://ns.dataone.org/service/types/v1"
	extra := ""
	if v == 2 {
		ns = "http://ns.dataone.org/service/types/v2.0"
		extra = "    <fileName>" + filepath.Base(pid) + "</fileName>\n"
	}
	checksum := ""
	if alg != "" {
		checksum = fmt.Sprintf("    <checksum algorithm=%q>%s</checksum>\n", alg, sum)
	}
	return fmt.Appendf(nil, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<d1:systemMetadata xmlns:d1=%q>
    <serialVersion>%d</serialVersion>
    <identifier>%s</identifier>
    <formatId>%s</formatId>
    <size>%d</size>
%s    <submitter>uid=sample,o=NCEAS,dc=ecoinformatics,dc=org</submitter>
    <rightsHolder>uid=sample,o=NCEAS,dc=ecoinformatics,dc=org</rightsHolder>
    <accessPolicy>
        <allow>
            <subject>public</subject>
            <permission>read</permission>
        </allow>
    </accessPolicy>
    <archived>false</archived>
    <dateUploaded>2024-01-01T12:%02d:00.000+00:00</dateUploaded>
    <dateSysMetadataModified>2024-01-01T12:%02d:00.000+00:00</dateSysMetadataModified>
    <originMemberNode>urn:node:SAMPLE</originMemberNode>
    <authoritativeMemberNode>urn:node:SAMPLE</authoritativeMemberNode>
%s</d1:systemMetadata>
`, ns, serial, pid, format, size, checksum, serial%60, serial%60, extra)
}

func digest(alg string, data []byte) string {
	switch alg {
	case "MD5":
		s := md5.Sum(data)
		return hex.EncodeToString(s[:])
	case "SHA-1":
		s := sha1.Sum(data)
		return hex.EncodeToString(s[:])
	default:
		s := sha256.Sum256(data)
		return hex.EncodeToString(s[:])
	}
}

// object writes a generated object and its sysmeta and adds its manifest entry.
func object(v int, pid, rel, format string, data []byte, alg string, serial int) {
	write(rel, data)
	sum := digest(alg, data)
	sysRel := filepath.Join("sysmeta", filepath.Base(rel)+".xml")
	write(sysRel, sysmetaDoc(v, pid, format, len(data), alg, sum, serial))
	entries = append(entries, entry{pid, rel, sysRel, sum, alg, strconv.Itoa(len(data))})
}

func main() {
	for _, sub := range []string{"data", "documents", "sysmeta"} {
		os.RemoveAll(filepath.Join(dir, sub))
	}
	// The reference vectors, under Metacat docids.
	copyVector("doi_10.18739_A2901ZH2M", "documents/autogen.2016092216263948.1", "sysmeta/autogen.2016092216263948.1.xml")
	entries = append(entries, entry{"doi:10.18739/A2901ZH2M", "documents/autogen.2016092216263948.1", "sysmeta/autogen.2016092216263948.1.xml",
		"4d198171eef969d553d4c9537b1811a7b078f9a3804fc978a761bc014c05972c", "SHA-256", "39993"})
	copyVector("jtao.1700.1", "documents/jtao.1700.1", "sysmeta/jtao.1700.1.xml")
	entries = append(entries, entry{"jtao.1700.1", "documents/jtao.1700.1", "sysmeta/jtao.1700.1.xml",
		"f4ea2d07db950873462a064937197b0f", "MD5", "8724"})
	// Its sysmeta declares 18934 bytes and a SHA-1 that its 18699 bytes do not have: broken.
	copyVector("urn_uuid_1b35d0a5-b17a-423b-a2ed-de2b18dc367a", "data/autogen.2016092221014098.1", "sysmeta/autogen.2016092221014098.1.xml")
	entries = append(entries, entry{"urn:uuid:1b35d0a5-b17a-423b-a2ed-de2b18dc367a", "data/autogen.2016092221014098.1", "sysmeta/autogen.2016092221014098.1.xml",
		"793852a27f007fa0e28f670e8630108d21c8d545", "SHA-1", "18934"})

	// Ten data objects with v1 sysmeta, ten EML documents with v2 sysmeta.
	for i := 1; i <= 10; i++ {
		var csvData []byte
		csvData = append(csvData, "site,date,count\n"...)
		for r := 0; r < 5*i; r++ {
			csvData = fmt.Appendf(csvData, "S%02d,2024-01-%02d,%d\n", r%7, 1+r%28, (r*37+i*11)%101)
		}
		alg := "MD5"
		if i%2 == 0 {
			alg = "SHA-1"
		}
		object(1, fmt.Sprintf("urn:uuid:5a3f0c1e-0000-4000-8000-%012d", i),
			fmt.Sprintf("data/autogen.20240101120000%02d.1", i), "text/csv", csvData, alg, i)
	}
	for i := 1; i <= 10; i++ {
		eml := fmt.Appendf(nil, `<?xml version="1.0" encoding="UTF-8"?>
<eml:eml xmlns:eml="https://eml.ecoinformatics.org/eml-2.2.0" packageId="sample.%d.%d" system="knb">
  <dataset>
    <title>Sample dataset %d</title>
    <creator><individualName><surName>Sample</surName></individualName></creator>
  </dataset>
</eml:eml>
`, 100+i, 1+i%3, i)
		alg := "SHA-256"
		if i%3 == 0 {
			alg = "MD5"
		}
		object(2, fmt.Sprintf("doi:10.5063/SAMPLE%02d", i), fmt.Sprintf("documents/sample.%d.%d", 100+i, 1+i%3),
			"https://eml.ecoinformatics.org/eml-2.2.0", eml, alg, 20+i)
	}

	// Broken entries.
	// 1. Wrong checksum: the sysmeta (and the database) hold the MD5 of other bytes.
	bad := []byte("site,date,count\nS01,2024-02-01,3\n")
	write("data/autogen.2024010112999901.1", bad)
	wrong := digest("MD5", []byte("the bytes that were meant"))
	write("sysmeta/autogen.2024010112999901.1.xml", sysmetaDoc(2, "urn:uuid:bad00000-0000-4000-8000-000000000001", "text/csv", len(bad), "MD5", wrong, 41))
	entries = append(entries, entry{"urn:uuid:bad00000-0000-4000-8000-000000000001", "data/autogen.2024010112999901.1",
		"sysmeta/autogen.2024010112999901.1.xml", wrong, "MD5", strconv.Itoa(len(bad))})
	// 2. Missing file: the sysmeta exists, the data file does not.
	write("sysmeta/autogen.2024010112999902.1.xml", sysmetaDoc(2, "urn:uuid:bad00000-0000-4000-8000-000000000002", "text/csv", 10, "MD5", digest("MD5", []byte("0123456789")), 42))
	entries = append(entries, entry{"urn:uuid:bad00000-0000-4000-8000-000000000002", "data/autogen.2024010112999902.1",
		"sysmeta/autogen.2024010112999902.1.xml", digest("MD5", []byte("0123456789")), "MD5", "10"})
	// 3. An algorithm nobody computes.
	crc := []byte("checksummed with CRC32\n")
	write("data/autogen.2024010112999903.1", crc)
	write("sysmeta/autogen.2024010112999903.1.xml", sysmetaDoc(2, "urn:uuid:bad00000-0000-4000-8000-000000000003", "text/plain", len(crc), "CRC32", "5d3b2a3e", 43))
	entries = append(entries, entry{"urn:uuid:bad00000-0000-4000-8000-000000000003", "data/autogen.2024010112999903.1",
		"sysmeta/autogen.2024010112999903.1.xml", "5d3b2a3e", "CRC32", strconv.Itoa(len(crc))})
	// 4. A pid with whitespace (Metacat accepted some once).
	ws := []byte("a pid with a space\n")
	write("data/autogen.2024010112999904.1", ws)
	write("sysmeta/autogen.2024010112999904.1.xml", sysmetaDoc(1, "sample pid.1", "text/plain", len(ws), "MD5", digest("MD5", ws), 44))
	entries = append(entries, entry{"sample pid.1", "data/autogen.2024010112999904.1", "sysmeta/autogen.2024010112999904.1.xml",
		digest("MD5", ws), "MD5", strconv.Itoa(len(ws))})
	// 5. A duplicate pid: jtao.1700.1 again.
	entries = append(entries, entries[1])
	// 6. A sysmeta without a checksum.
	nc := []byte("no checksum in the system metadata\n")
	write("data/autogen.2024010112999906.1", nc)
	write("sysmeta/autogen.2024010112999906.1.xml", sysmetaDoc(2, "urn:uuid:bad00000-0000-4000-8000-000000000006", "text/plain", len(nc), "", "", 46))
	entries = append(entries, entry{"urn:uuid:bad00000-0000-4000-8000-000000000006", "data/autogen.2024010112999906.1",
		"sysmeta/autogen.2024010112999906.1.xml", "", "", strconv.Itoa(len(nc))})
	// 7. A malformed line: a size that is not a number.
	entries = append(entries, entry{"urn:uuid:bad00000-0000-4000-8000-000000000007", "data/autogen.2024010112999907.1",
		"sysmeta/autogen.2024010112999907.1.xml", "", "", "12kB"})

	// manifest.csv and manifest.jsonl.
	f, err := os.Create(filepath.Join(dir, "manifest.csv"))
	if err != nil {
		log.Fatal(err)
	}
	w := csv.NewWriter(f)
	w.Write([]string{"pid", "path", "sysmeta", "checksum", "checksum_algorithm", "size"})
	for _, e := range entries {
		w.Write([]string{e.PID, e.Path, e.Sysmeta, e.Checksum, e.Alg, e.Size})
	}
	w.Flush()
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	j, err := os.Create(filepath.Join(dir, "manifest.jsonl"))
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range entries {
		m := map[string]any{"pid": e.PID, "path": e.Path, "sysmeta": e.Sysmeta}
		if e.Checksum != "" {
			m["checksum"], m["checksum_algorithm"] = e.Checksum, e.Alg
		}
		if n, err := strconv.Atoi(e.Size); err == nil {
			m["size"] = n
		} else {
			m["size"] = e.Size
		}
		line, _ := json.Marshal(m)
		fmt.Fprintf(j, "%s\n", line)
	}
	if err := j.Close(); err != nil {
		log.Fatal(err)
	}
}
