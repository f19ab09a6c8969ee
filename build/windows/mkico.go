//go:build ignore

// Command mkico writes a Windows icon (.ico) with 16, 32, 48 and 64 pixel images scaled from one PNG,
// for the resource file (flamenco-tray.rc) that gives flamenco-tray.exe its icon.
//
//	go run build/windows/mkico.go assets/icon.png out.ico
package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/png"
	"os"

	"golang.org/x/image/draw"
)

var sizes = []int{16, 32, 48, 64}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: mkico in.png out.ico")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "mkico:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	src, err := png.Decode(f)
	if err != nil {
		return fmt.Errorf("decode %s: %w", in, err)
	}
	var images [][]byte
	for _, size := range sizes {
		images = append(images, dib(scale(src, size)))
	}
	var ico bytes.Buffer
	le := binary.LittleEndian
	ico.Write(le.AppendUint16(le.AppendUint16(le.AppendUint16(nil, 0), 1), uint16(len(images)))) // ICONDIR
	offset := 6 + 16*len(images)
	for i, size := range sizes { // ICONDIRENTRY
		ico.Write([]byte{byte(size), byte(size), 0, 0})
		ico.Write(le.AppendUint16(le.AppendUint16(nil, 1), 32))
		ico.Write(le.AppendUint32(le.AppendUint32(nil, uint32(len(images[i]))), uint32(offset)))
		offset += len(images[i])
	}
	for _, img := range images {
		ico.Write(img)
	}
	return os.WriteFile(out, ico.Bytes(), 0o644)
}

func scale(src image.Image, size int) *image.NRGBA {
	dst := image.NewNRGBA(image.Rect(0, 0, size, size))
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
	return dst
}

// dib is one icon image as Windows stores it: a BITMAPINFOHEADER (height doubled for the mask), 32-bit
// BGRA rows bottom-up, then a 1-bit AND mask (all zero: the alpha channel decides).
func dib(img *image.NRGBA) []byte {
	n := img.Bounds().Dx()
	le := binary.LittleEndian
	b := le.AppendUint32(nil, 40)
	b = le.AppendUint32(b, uint32(n))
	b = le.AppendUint32(b, uint32(2*n))
	b = le.AppendUint16(b, 1)
	b = le.AppendUint16(b, 32)
	b = append(b, make([]byte, 24)...) // BI_RGB, image size, resolution, palette: zero
	for y := n - 1; y >= 0; y-- {
		for x := range n {
			p := img.NRGBAAt(x, y)
			b = append(b, p.B, p.G, p.R, p.A)
		}
	}
	maskRow := (n + 31) / 32 * 4
	return append(b, make([]byte, maskRow*n)...)
}
