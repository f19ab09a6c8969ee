/* A stand-in bcryptprimitives.dll for Wine 8 (Debian 12), which lacks it: Go's runtime (1.24 and later)
 * loads it from system32 at start for ProcessPrng, and exits without it. Only `make wine-smoke` uses it,
 * copied into a throw-away Wine prefix; it is never shipped. ProcessPrng fills the buffer from
 * RtlGenRandom (advapi32's SystemFunction036), which Wine has. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
	while (length > 0) {
		ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
		if (!SystemFunction036(data, chunk))
			return FALSE;
		data += chunk;
		length -= chunk;
	}
	return TRUE;
}
