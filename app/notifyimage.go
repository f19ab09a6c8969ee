package app

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // a Manager's last-rendered frames are JPEGs
	_ "image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/flamenco-tray/flamenco-tray/assets"
)

const (
	// maxFrameSide and maxFramePixels refuse a frame before decoding it: a few bytes of JPEG or
	// PNG can claim a picture that takes gigabytes, or a notification's second, to decode. The
	// frames decoded here are a Manager's small and tiny sizes, 600×337 and 199×112.
	maxFrameSide   = 10000
	maxFramePixels = 1920 * 1080

	// notificationImageSide bounds the image-data sent to a Linux notification daemon: Plasma shows
	// 256×256 at most (libnotificationmanager's maximumImageSize), GNOME and Xfce less.
	notificationImageSide = 256

	// framesKept frames stay in the cache directory: Windows reads a toast's file when it draws it,
	// also later in the notification centre.
	framesKept = 5
)

// errNotAFrame says the bytes given as a frame are not a JPEG or PNG the notification can show.
var errNotAFrame = errors.New("not a JPEG or PNG frame")

// decodeFrame decodes a JPEG or PNG frame, checking its header before the pixels, and says which.
func decodeFrame(data []byte) (image.Image, string, error) {
	config, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", errNotAFrame, err)
	}
	if format != "jpeg" && format != "png" {
		return nil, "", fmt.Errorf("%w: a %s image", errNotAFrame, format)
	}
	if config.Width < 1 || config.Height < 1 || config.Width > maxFrameSide || config.Height > maxFrameSide ||
		config.Width*config.Height > maxFramePixels {
		return nil, "", fmt.Errorf("%w: %d×%d pixels is not a frame to show", errNotAFrame, config.Width, config.Height)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", errNotAFrame, err)
	}
	return img, format, nil
}

// scaledFrame decodes a JPEG or PNG frame and scales it down to fit within side×side, keeping its
// aspect (a smaller frame keeps its size).
func scaledFrame(data []byte, side int) (*image.NRGBA, error) {
	img, _, err := decodeFrame(data)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	w, h := fitWithin(b.Dx(), b.Dy(), side)
	return scaleDown(img, w, h), nil
}

// fitWithin is the size of a w×h picture scaled down to fit within side×side, keeping its aspect.
func fitWithin(w, h, side int) (int, int) {
	if w <= side && h <= side {
		return w, h
	}
	if w >= h {
		return side, max(1, (h*side+w/2)/w)
	}
	return max(1, (w*side+h/2)/h), side
}

// scaleDown shrinks src to w×h by averaging the source pixels on each target pixel (a box filter),
// converting src one row at a time.
func scaleDown(src image.Image, w, h int) *image.NRGBA {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	row := image.NewRGBA(image.Rect(0, 0, sw, 1))
	column := make([]int, sw) // the target column of each source column
	for x := range column {
		column[x] = x * w / sw
	}
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	sums := make([]uint64, 4*w) // premultiplied R, G, B, A of the target row being summed
	counts := make([]uint64, w)
	for y := range sh {
		draw.Draw(row, row.Rect, src, image.Pt(b.Min.X, b.Min.Y+y), draw.Src)
		for x, c := range column {
			for i := range 4 {
				sums[4*c+i] += uint64(row.Pix[4*x+i])
			}
			counts[c]++
		}
		if target := y * h / sh; y == sh-1 || (y+1)*h/sh != target {
			averageRow(dst.Pix[target*dst.Stride:], sums, counts)
			clear(sums)
			clear(counts)
		}
	}
	return dst
}

// averageRow writes the average of each target pixel's premultiplied sums as non-premultiplied RGBA.
func averageRow(out []byte, sums, counts []uint64) {
	for c, n := range counts {
		r, g, b, a := sums[4*c], sums[4*c+1], sums[4*c+2], sums[4*c+3]
		if avg := (a + n/2) / n; avg == 0 {
			copy(out[4*c:], []byte{0, 0, 0, 0})
		} else {
			copy(out[4*c:], []byte{byte(min(255, (r*255+a/2)/a)), byte(min(255, (g*255+a/2)/a)), byte(min(255, (b*255+a/2)/a)), byte(avg)})
		}
	}
}

// imageDataPixels packs img as the Desktop Notifications spec's image-data wants it: rows of RGB
// bytes, or RGBA when a pixel is not opaque, 8 bits a sample, without padding.
func imageDataPixels(img *image.NRGBA) (pixels []byte, rowStride, channels int) {
	b := img.Bounds()
	channels = 3
	for i := 3; i < len(img.Pix); i += 4 {
		if img.Pix[i] != 255 {
			channels = 4
			break
		}
	}
	rowStride = b.Dx() * channels
	pixels = make([]byte, 0, rowStride*b.Dy())
	for y := range b.Dy() {
		line := img.Pix[y*img.Stride : y*img.Stride+4*b.Dx()]
		if channels == 4 {
			pixels = append(pixels, line...)
			continue
		}
		for x := 0; x < len(line); x += 4 {
			pixels = append(pixels, line[x:x+3]...)
		}
	}
	return pixels, rowStride, channels
}

// saveFrame writes a frame into dir for a notification that reads it from a file, and returns its
// path; the newest framesKept frames stay.
func saveFrame(dir string, data []byte, format string) (string, error) {
	ext := ".png"
	if format == "jpeg" {
		ext = ".jpg"
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("saving the frame: %w", err)
	}
	// Named by the time, in digits of one width: the names sort as the frames were written.
	f, err := os.CreateTemp(dir, fmt.Sprintf("frame-%020d-*%s", time.Now().UnixNano(), ext))
	if err != nil {
		return "", fmt.Errorf("saving the frame: %w", err)
	}
	_, err = f.Write(data)
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("saving the frame: %w", err)
	}
	pruneFrames(dir, f.Name())
	return f.Name(), nil
}

// pruneFrames deletes all but the newest framesKept frames in dir, never keep.
func pruneFrames(dir, keep string) {
	// Read, not globbed: dir may hold a pattern's metacharacters ("C:\Users\[Studio] Ana").
	entries, _ := os.ReadDir(dir)
	var paths []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "frame-") {
			paths = append(paths, filepath.Join(dir, e.Name()))
		}
	}
	slices.Reverse(paths) // ReadDir sorts by name: oldest first.
	for i, path := range paths {
		if i >= framesKept && path != keep {
			os.Remove(path)
		}
	}
}

// notificationDir is where notifications' files go: the user's cache directory, "" where none.
func notificationDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "flamenco-tray")
}

// notificationIcon writes the app's icon where the desktop can read it, once, and returns its path
// ("" when it cannot: the desktop shows its default).
var notificationIcon = sync.OnceValue(func() string {
	dir := notificationDir()
	if dir == "" {
		return ""
	}
	path := filepath.Join(dir, "notification-icon.png")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return ""
	}
	if err := os.WriteFile(path, assets.AppIcon.Content(), 0o600); err != nil {
		return ""
	}
	return path
})
