package app

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/flamenco-tray/flamenco-tray/internal/testkit/ostest"
)

// quadrants are the colours of encodeQuadrants' picture, with the middle of each quadrant in
// quarters of the picture's width and height.
var quadrants = []struct {
	x, y   int
	colour color.NRGBA
}{
	{1, 1, color.NRGBA{R: 220, G: 30, B: 30, A: 255}},
	{3, 1, color.NRGBA{R: 30, G: 200, B: 40, A: 255}},
	{1, 3, color.NRGBA{R: 20, G: 40, B: 210, A: 255}},
	{3, 3, color.NRGBA{R: 240, G: 240, B: 240, A: 255}},
}

// encodeQuadrants encodes a w×h picture of four coloured quadrants, each pixel of the given alpha,
// as a "jpeg", "png" or "gif".
func encodeQuadrants(t *testing.T, format string, w, h int, alpha uint8) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			q := quadrants[2*(2*y/h)+2*x/w]
			c := q.colour
			c.A = alpha
			img.SetNRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	var err error
	switch format {
	case "jpeg":
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
	case "png":
		err = png.Encode(&buf, img)
	case "gif":
		err = gif.Encode(&buf, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pngHeader is the start of a PNG that says it is w×h pixels, without its pixels.
func pngHeader(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0) // 8 bits, RGB
	chunk := append([]byte("IHDR"), ihdr...)
	out := append([]byte("\x89PNG\r\n\x1a\n"), binary.BigEndian.AppendUint32(nil, uint32(len(ihdr)))...)
	out = append(out, chunk...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(chunk))
}

// near tells whether each channel of a and b differ by tolerance at most.
func near(a, b color.NRGBA, tolerance int) bool {
	for _, d := range []int{int(a.R) - int(b.R), int(a.G) - int(b.G), int(a.B) - int(b.B), int(a.A) - int(b.A)} {
		if d < -tolerance || d > tolerance {
			return false
		}
	}
	return true
}

func TestFitWithin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ w, h, side, wantW, wantH int }{
		{1920, 1080, 256, 256, 144},
		{600, 337, 256, 256, 144},
		{199, 112, 256, 199, 112}, // a smaller frame keeps its size
		{256, 256, 256, 256, 256},
		{1080, 1920, 256, 144, 256},
		{10000, 1, 256, 256, 1}, // never 0 pixels high
	} {
		if w, h := fitWithin(tc.w, tc.h, tc.side); w != tc.wantW || h != tc.wantH {
			t.Errorf("fitWithin(%d, %d, %d) = %d×%d, want %d×%d", tc.w, tc.h, tc.side, w, h, tc.wantW, tc.wantH)
		}
	}
}

// Each target pixel is the average of the source pixels it covers, in premultiplied colour: a
// transparent pixel adds no colour.
func TestScaleDownAverages(t *testing.T) {
	t.Parallel()
	src := image.NewNRGBA(image.Rect(10, 20, 14, 22)) // bounds off the origin: read from Min
	for y := 20; y < 22; y++ {
		src.SetNRGBA(10, y, color.NRGBA{A: 255})
		src.SetNRGBA(11, y, color.NRGBA{R: 255, G: 255, B: 255, A: 255})
		src.SetNRGBA(12, y, color.NRGBA{R: 200, A: 255})
		src.SetNRGBA(13, y, color.NRGBA{G: 255, A: 0}) // transparent green
	}
	got := scaleDown(src, 2, 1)
	want := []color.NRGBA{{R: 128, G: 128, B: 128, A: 255}, {R: 200, A: 128}}
	for x, w := range want {
		if c := got.NRGBAAt(x, 0); c != w {
			t.Errorf("pixel %d = %v, want %v", x, c, w)
		}
	}
}

func TestScaledFrame(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		w, h, wantW, wantH int
	}{{1920, 1080, 256, 144}, {199, 112, 199, 112}} {
		frame, err := scaledFrame(encodeQuadrants(t, "jpeg", tc.w, tc.h, 255), 256)
		if err != nil {
			t.Fatal(err)
		}
		if size := frame.Rect.Size(); size != image.Pt(tc.wantW, tc.wantH) {
			t.Errorf("%d×%d scaled to %v, want %d×%d", tc.w, tc.h, size, tc.wantW, tc.wantH)
		}
		for _, q := range quadrants {
			if c := frame.NRGBAAt(q.x*tc.wantW/4, q.y*tc.wantH/4); !near(c, q.colour, 12) {
				t.Errorf("%d×%d: quadrant %d,%d is %v, want about %v", tc.w, tc.h, q.x, q.y, c, q.colour)
			}
		}
	}
}

// encodeBlankPNG encodes a w×h PNG of one colour.
func encodeBlankPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// What is not a JPEG or PNG of a sensible size is refused with errNotAFrame; a picture too large
// to show by its header, before its pixels are read (those of pngHeader would not decode).
func TestDecodeFrameRefuses(t *testing.T) {
	t.Parallel()
	jpegFrame := encodeQuadrants(t, "jpeg", 64, 36, 255)
	for _, tc := range []struct {
		name, says string
		data       []byte
	}{
		{"nothing", "", nil},
		{"garbage", "", []byte("<html>502 Bad Gateway</html>")},
		{"a GIF", "a gif image", encodeQuadrants(t, "gif", 60, 40, 255)},
		{"a cut JPEG", "", jpegFrame[:len(jpegFrame)/2]},
		{"10001 px wide", "10001×1 pixels", pngHeader(10001, 1)},
		{"10001 px high", "1×10001 pixels", pngHeader(1, 10001)},
		{"over 1920×1080 pixels", "5001×5001 pixels", pngHeader(5001, 5001)},
		{"0 px wide", "", pngHeader(0, 10)},
	} {
		_, _, err := decodeFrame(tc.data)
		if !errors.Is(err, errNotAFrame) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v, want errNotAFrame saying %q", tc.name, err, tc.says)
		}
	}
	for _, data := range [][]byte{jpegFrame, encodeBlankPNG(t, 10000, 1), encodeBlankPNG(t, 1, 10000)} {
		if img, format, err := decodeFrame(data); err != nil || img == nil {
			t.Errorf("a %s of %d bytes: %v", format, len(data), err)
		}
	}
}

func TestImageDataPixels(t *testing.T) {
	t.Parallel()
	img := image.NewNRGBA(image.Rect(0, 0, 2, 2))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	img.SetNRGBA(1, 0, color.NRGBA{R: 1, G: 2, B: 3, A: 255})
	pixels, stride, channels := imageDataPixels(img)
	if channels != 3 || stride != 6 || !bytes.Equal(pixels, []byte{255, 255, 255, 1, 2, 3, 255, 255, 255, 255, 255, 255}) {
		t.Errorf("opaque: %d channels, stride %d, pixels %v", channels, stride, pixels)
	}
	img.SetNRGBA(0, 1, color.NRGBA{R: 9, A: 100})
	pixels, stride, channels = imageDataPixels(img)
	if channels != 4 || stride != 8 || len(pixels) != 16 || !bytes.Equal(pixels[8:12], []byte{9, 0, 0, 100}) {
		t.Errorf("translucent: %d channels, stride %d, pixels %v", channels, stride, pixels)
	}
}

// The frames' directory keeps the newest framesKept frames, and the one just written.
func TestSaveFrameKeepsTheNewest(t *testing.T) {
	t.Parallel()
	// A cache path may hold a glob's metacharacters: a Windows user named "[Studio] Ana".
	for _, name := range []string{"frames", "[Studio] Ana"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testSaveFrameKeepsTheNewest(t, filepath.Join(ostest.TempDir(t), name))
		})
	}
}

func testSaveFrameKeepsTheNewest(t *testing.T, dir string) {
	var paths []string
	for i := range framesKept + 4 {
		format := "png"
		if i%2 == 0 {
			format = "jpeg"
		}
		path, err := saveFrame(dir, []byte{byte(i)}, format)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, e := range entries {
		kept = append(kept, filepath.Join(dir, e.Name()))
	}
	if want := paths[len(paths)-framesKept:]; !slices.Equal(kept, slices.Sorted(slices.Values(want))) {
		t.Errorf("kept %q, want the newest %q", kept, want)
	}
	last := paths[len(paths)-1]
	if data, err := os.ReadFile(last); err != nil || !bytes.Equal(data, []byte{framesKept + 3}) || filepath.Ext(last) != ".jpg" {
		t.Errorf("the last frame %s: %v %v", last, data, err)
	}
}
