package assets

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
)

var trayIcons = []fyne.Resource{TraySearchingIcon, TrayNoManagerIcon, TrayFoundIcon, TrayAdvertisingIcon,
	TrayRenderingIcon, TrayMyJobRenderingIcon, TrayMyJobFailedIcon}

func decode(t *testing.T, name string, data []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return img
}

// fyne.io/systray sends Linux panels the low byte of each pixel's premultiplied 16-bit colour,
// which is its colour only when the pixel is opaque or transparent.
func TestTrayIconsAreOpaqueOrTransparent(t *testing.T) {
	t.Parallel()
	for _, icon := range trayIcons {
		img := decode(t, icon.Name(), icon.Content())
		if b := img.Bounds(); b.Dx() != 64 || b.Dy() != 64 {
			t.Errorf("%s is %d×%d, want 64×64", icon.Name(), b.Dx(), b.Dy())
		}
		half := 0
		for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
			for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
				if a := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA).A; a != 0 && a != 255 {
					half++
				}
			}
		}
		if half > 0 {
			t.Errorf("%s has %d half-transparent pixels: Linux panels would show them nearly black", icon.Name(), half)
		}
	}
}

// The tray icons drawn from tray-found.png are what build/assets/mktrayicons.go draws today: none
// was edited by hand, and the generator still makes them all.
func TestTrayIconsAreTheGeneratorsOutput(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to run the generator with")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tray-found.png"), TrayFoundIcon.Content(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goTool, "run", filepath.Join("..", "build", "assets", "mktrayicons.go"), dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mktrayicons: %v\n%s", err, out)
	}
	for _, icon := range trayIcons {
		if icon == TrayFoundIcon {
			continue
		}
		drawn, err := os.ReadFile(filepath.Join(dir, icon.Name()))
		if err != nil {
			t.Errorf("the generator did not draw %s: %v", icon.Name(), err)
			continue
		}
		want, got := decode(t, icon.Name(), drawn), decode(t, icon.Name(), icon.Content())
		if n := differingPixels(want, got); n > 0 {
			t.Errorf("%s differs from the generator's in %d pixels: run go run build/assets/mktrayicons.go assets", icon.Name(), n)
		}
	}
}

func differingPixels(a, b image.Image) int {
	if a.Bounds() != b.Bounds() {
		return a.Bounds().Dx() * a.Bounds().Dy()
	}
	n := 0
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			if color.NRGBAModel.Convert(a.At(x, y)) != color.NRGBAModel.Convert(b.At(x, y)) {
				n++
			}
		}
	}
	return n
}
