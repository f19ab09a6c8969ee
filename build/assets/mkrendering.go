//go:build ignore

// Command mkrendering writes the tray icon shown while this computer renders for a farm (lending,
// issue 18): the "Managers found" icon with a green badge holding a white play mark at its lower
// right, so that it reads as "working" on light and dark panels alike, even at 16 pixels.
//
//	go run build/assets/mkrendering.go assets/tray-found.png assets/tray-rendering.png
package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: mkrendering in.png out.png")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "mkrendering:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	src, err := png.Decode(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("read %s: %w", in, err)
	}
	b := src.Bounds()
	img := image.NewNRGBA(b)
	draw.Draw(img, b, src, b.Min, draw.Src)
	size := float64(b.Dx())
	// The badge: a circle of 0.44 of the icon, its centre at 0.75/0.75, ringed in white to stand
	// apart from the orange disc.
	cx, cy, r := size*0.75, size*0.75, size*0.22
	white := color.NRGBA{255, 255, 255, 255}
	green := color.NRGBA{0x2e, 0xa0, 0x43, 255}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			px, py := float64(x)+0.5, float64(y)+0.5
			d2 := (px-cx)*(px-cx) + (py-cy)*(py-cy)
			switch {
			case d2 <= r*r && inPlayMark(px-cx, py-cy, r):
				img.SetNRGBA(x, y, white)
			case d2 <= r*r:
				img.SetNRGBA(x, y, green)
			case d2 <= (r+size*0.04)*(r+size*0.04):
				img.SetNRGBA(x, y, white)
			}
		}
	}
	o, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := png.Encode(o, img); err != nil {
		o.Close()
		return err
	}
	return o.Close()
}

// inPlayMark says whether a point (relative to the badge's centre) is inside a right-pointing
// triangle filling half the badge.
func inPlayMark(x, y, r float64) bool {
	left, right, half := -r*0.35, r*0.5, r*0.45
	if x < left || x > right {
		return false
	}
	// The height shrinks linearly from half at left to 0 at right.
	h := half * (right - x) / (right - left)
	return y >= -h && y <= h
}
