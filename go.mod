module github.com/flamenco-tray/flamenco-tray

go 1.26.8

require (
	github.com/fromkeith/gossdp v0.0.0-20180102154144-1b2c43f6886e
	github.com/mattn/go-isatty v0.0.20
	github.com/rs/zerolog v1.35.1
	golang.org/x/net v0.62.0
	golang.org/x/sys v0.49.0
)

require github.com/mattn/go-colorable v0.1.14 // indirect
