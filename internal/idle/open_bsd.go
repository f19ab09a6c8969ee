//go:build freebsd || netbsd || openbsd || dragonfly

package idle

import "context"

func openPlatform(ctx context.Context, s session) (Source, error) {
	if s.display == "" {
		return nil, unavailable("no X server (DISPLAY is not set)")
	}
	src, err := openX11(ctx, s.display)
	if err != nil {
		return nil, unavailable("%v", err)
	}
	return src, nil
}
