//go:build !linux

package lending

func readCPU(int) (cpuSample, error) { return cpuSample{}, ErrLoadUnsupported }
