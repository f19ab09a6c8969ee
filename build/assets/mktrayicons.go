//go:build ignore

// Command mktrayicons writes every tray icon from the one base icon, assets/tray-found.png (a
// Manager answers, nothing else to tell): a small badge at its lower right for each state, the
// base greyed while searching, and greyed and dimmed when no Manager answers (issue 25).
//
//	go run build/assets/mktrayicons.go assets
//
// A badge is a coloured disc holding a white mark, ringed in white: the ring parts it from the
// orange disc and from a dark panel, the saturated fill stands out on a light one, and the mark
// tells the states apart where colour does not (colour blindness, a greyscale panel).
//
// Every pixel is opaque or fully transparent, edges unsmoothed: fyne.io/systray sends Linux panels
// the low byte of Go's premultiplied 16-bit colour, right only for those two, so a half-transparent
// pixel would come out nearly black. The panel smooths the icon when it scales it to 16–32 px.
package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
)

// A badge is a disc of radius r at (cx, cy), in fractions of the icon's size, ringed in white out to
// the radius ring, filled with fill, holding mark: mark says whether a point is in it, given
// relative to the disc's centre in units of its radius.
type badge struct {
	cx, cy, r, ring float64
	fill            color.NRGBA
	mark            func(x, y float64) bool
}

var (
	white = color.NRGBA{255, 255, 255, 255}
	// grey is the base's orange while searching.
	grey   = color.NRGBA{138, 138, 138, 255}
	orange = color.NRGBA{232, 125, 13, 255}
)

// stateBadge is the size and place of the badges of states: half the icon wide, so that its mark
// still shows at 16 px.
func stateBadge(fill color.NRGBA, mark func(x, y float64) bool) badge {
	return badge{cx: 0.68, cy: 0.68, r: 0.27, ring: 0.315, fill: fill, mark: mark}
}

// icons are the files written, each from the base icon.
var icons = []struct {
	file string
	draw func(base *image.NRGBA) *image.NRGBA
}{
	// One of my jobs failed and I have not looked at it yet: red, an exclamation mark.
	{"tray-my-job-failed.png", badged(stateBadge(color.NRGBA{0xd1, 0x24, 0x2f, 255}, exclamationMark))},
	// This computer renders for a farm it is lent to (issue 18): green, a play mark.
	{"tray-rendering.png", badged(stateBadge(color.NRGBA{0x2e, 0xa0, 0x43, 255}, playMark))},
	// One of my jobs renders: blue, a dial three quarters full.
	{"tray-my-job-rendering.png", badged(stateBadge(color.NRGBA{0x1f, 0x6f, 0xeb, 255}, progressMark))},
	// The local Manager is advertised: a plain green dot, smaller (a mode the user chose, not news);
	// as first drawn, in pixels of the 64-pixel icon.
	{"tray-advertising.png", badged(badge{cx: 50.5 / 64, cy: 50.5 / 64, r: 10.9 / 64, ring: 13.5 / 64,
		fill: color.NRGBA{46, 184, 75, 255}, mark: func(x, y float64) bool { return false }})},
	{"tray-searching.png", greyed},
	{"tray-none.png", func(base *image.NRGBA) *image.NRGBA { return dimmed(greyed(base)) }},
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: mktrayicons DIR (reads DIR/tray-found.png, writes the other tray icons there)")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "mktrayicons:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	base, err := readPNG(filepath.Join(dir, "tray-found.png"))
	if err != nil {
		return err
	}
	for _, icon := range icons {
		if err := writePNG(filepath.Join(dir, icon.file), icon.draw(base)); err != nil {
			return err
		}
	}
	return nil
}

func readPNG(path string) (*image.NRGBA, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src, err := png.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	img := image.NewNRGBA(src.Bounds())
	draw.Draw(img, img.Bounds(), src, src.Bounds().Min, draw.Src)
	return img, nil
}

func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func clone(img *image.NRGBA) *image.NRGBA {
	c := image.NewNRGBA(img.Bounds())
	copy(c.Pix, img.Pix)
	return c
}

// badged draws b over a copy of the base icon, testing each pixel's centre.
func badged(b badge) func(*image.NRGBA) *image.NRGBA {
	return func(base *image.NRGBA) *image.NRGBA {
		img := clone(base)
		bounds := img.Bounds()
		size := float64(bounds.Dx())
		cx, cy, r, ring := size*b.cx, size*b.cy, size*b.r, size*b.ring
		for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
			for x := bounds.Min.X; x < bounds.Max.X; x++ {
				dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
				d2 := dx*dx + dy*dy
				switch {
				case d2 <= r*r && b.mark(dx/r, dy/r):
					img.SetNRGBA(x, y, white)
				case d2 <= r*r:
					img.SetNRGBA(x, y, b.fill)
				case d2 <= ring*ring:
					img.SetNRGBA(x, y, white)
				}
			}
		}
		return img
	}
}

// playMark is a right-pointing triangle filling half the badge.
func playMark(x, y float64) bool {
	const left, right, half = -0.35, 0.5, 0.45
	if x < left || x > right {
		return false
	}
	// The height shrinks linearly from half at left to 0 at right.
	h := half * (right - x) / (right - left)
	return y >= -h && y <= h
}

// exclamationMark is "!": a bar and a dot under it.
func exclamationMark(x, y float64) bool {
	bar := math.Abs(x) <= 0.15 && y >= -0.62 && y <= 0.18
	dot := x*x+(y-0.45)*(y-0.45) <= 0.17*0.17
	return bar || dot
}

// progressMark is a dial three quarters full: the quarter from 12 to 3 o'clock is still to go.
func progressMark(x, y float64) bool {
	const radius = 0.58
	return x*x+y*y <= radius*radius && !(x > 0 && y < 0)
}

// greyed is the base icon with its orange disc grey.
func greyed(base *image.NRGBA) *image.NRGBA {
	img := clone(base)
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			if img.NRGBAAt(x, y) == orange {
				img.SetNRGBA(x, y, grey)
			}
		}
	}
	return img
}

// dimmed is an icon as a panel shows a disabled item: each colour's lightness halfway to mid-grey,
// so that it recedes on light and dark panels alike (not by transparency: see the package doc).
func dimmed(src *image.NRGBA) *image.NRGBA {
	img := clone(src)
	for i := 0; i < len(img.Pix); i += 4 {
		p := img.Pix[i : i+4 : i+4]
		if p[3] == 0 {
			continue
		}
		luma := 0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2])
		grey := uint8(math.Round((luma + 128) / 2))
		p[0], p[1], p[2] = grey, grey, grey
	}
	return img
}
