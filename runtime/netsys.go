package runtime

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// This file holds the socket system calls of the network operations: creating non-blocking
// sockets, converting addresses, and the calls that never block the dispatcher.

// errNeedsDNS is returned by resolveAddr for a host name that must be looked up.
var errNeedsDNS = errors.New("tskrt: host name needs DNS")

// sockAddr is a resolved socket address: the family and the unix.Sockaddr for system calls.
type sockAddr struct {
	family int
	sa     unix.Sockaddr
}

// resolveAddr turns network and address into a socket address without blocking: the host of a
// TCP address must be an IP literal, empty (every address, for listening; the loopback
// address, for dialing) or "localhost"; other names give errNeedsDNS (Dial then dials off the
// dispatcher).
func resolveAddr(network, address string, listening bool) (sockAddr, error) {
	switch network {
	case "unix":
		if address == "" {
			return sockAddr{}, errors.New("missing unix socket path")
		}
		return sockAddr{family: unix.AF_UNIX, sa: &unix.SockaddrUnix{Name: address}}, nil
	case "tcp", "tcp4", "tcp6":
	default:
		return sockAddr{}, net.UnknownNetworkError(network)
	}
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return sockAddr{}, err
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		p, lerr := net.LookupPort("tcp", portStr) // reads /etc/services only: no network
		if lerr != nil {
			return sockAddr{}, fmt.Errorf("bad port %q", portStr)
		}
		port = uint64(p)
	}
	var ip netip.Addr
	switch host {
	case "":
		if listening {
			if network == "tcp4" {
				ip = netip.IPv4Unspecified()
			} else {
				ip = netip.IPv6Unspecified()
			}
		} else {
			ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
		}
	case "localhost":
		if network == "tcp6" {
			ip = netip.IPv6Loopback()
		} else {
			ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
		}
	default:
		ip, err = netip.ParseAddr(host)
		if err != nil {
			return sockAddr{}, errNeedsDNS
		}
		ip = ip.WithZone("")
	}
	return ipSockAddr(network, netip.AddrPortFrom(ip, uint16(port)))
}

func ipSockAddr(network string, ap netip.AddrPort) (sockAddr, error) {
	ip := ap.Addr()
	if ip.Is4In6() {
		ip = ip.Unmap()
	}
	switch {
	case ip.Is4() && network != "tcp6":
		return sockAddr{family: unix.AF_INET, sa: &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ip.As4()}}, nil
	case ip.Is6() && network != "tcp4":
		return sockAddr{family: unix.AF_INET6, sa: &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ip.As16()}}, nil
	}
	return sockAddr{}, &net.AddrError{Err: "address family does not match network " + network, Addr: ap.String()}
}

// netAddr converts a unix.Sockaddr into the net.Addr of the network.
func netAddr(sa unix.Sockaddr) net.Addr {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(sa.Addr[:]).To16(), Port: sa.Port}
	case *unix.SockaddrInet6:
		ip := make(net.IP, 16)
		copy(ip, sa.Addr[:])
		return &net.TCPAddr{IP: ip, Port: sa.Port}
	case *unix.SockaddrUnix:
		return &net.UnixAddr{Name: sa.Name, Net: "unix"}
	}
	return nil
}

// newSocket returns a non-blocking, close-on-exec stream socket of the family.
func newSocket(family int) (int, error) {
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	return fd, nil
}

// setNoDelay turns Nagle's algorithm off (on) for a TCP socket; unix sockets ignore it.
func setNoDelay(fd, family int, on bool) error {
	if family == unix.AF_UNIX {
		return nil
	}
	v := 0
	if on {
		v = 1
	}
	return os.NewSyscallError("setsockopt", unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, v))
}

// listenSocket creates, binds and listens on a non-blocking socket; shared sets SO_REUSEPORT.
func listenSocket(network, address string, shared bool) (fd int, sa sockAddr, err error) {
	sa, err = resolveAddr(network, address, true)
	if err != nil {
		return -1, sa, err
	}
	if shared && sa.family == unix.AF_UNIX {
		return -1, sa, errors.New("a unix socket cannot be shared (SO_REUSEPORT is for TCP)")
	}
	fd, err = newSocket(sa.family)
	if err != nil {
		return -1, sa, err
	}
	if sa.family != unix.AF_UNIX {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			unix.Close(fd)
			return -1, sa, os.NewSyscallError("setsockopt", err)
		}
		if shared {
			if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
				unix.Close(fd)
				return -1, sa, os.NewSyscallError("setsockopt", err)
			}
		}
		if sa.family == unix.AF_INET6 && network == "tcp" {
			// Dual stack, as Go's net does for "tcp" on the unspecified address.
			unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0)
		}
	}
	if err := unix.Bind(fd, sa.sa); err != nil {
		unix.Close(fd)
		return -1, sa, os.NewSyscallError("bind", err)
	}
	if err := unix.Listen(fd, listenBacklog()); err != nil {
		unix.Close(fd)
		return -1, sa, os.NewSyscallError("listen", err)
	}
	return fd, sa, nil
}

// listenBacklog is the kernel's maximum accept queue (net.core.somaxconn), as Go's net uses.
func listenBacklog() int {
	b, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	if err == nil {
		if n, err := strconv.Atoi(string(trimSpace(b))); err == nil && n > 0 {
			return min(n, 1<<16-1)
		}
	}
	return unix.SOMAXCONN
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}

// accept takes the next connection of a listening socket as a non-blocking, close-on-exec
// socket. Unlike unix.Accept4 it asks for no peer address, so it allocates nothing (a server
// accepting thousands of connections would otherwise leave ~150 bytes of garbage for each).
func accept(fd int) (int, error) {
	nfd, _, e := unix.Syscall6(unix.SYS_ACCEPT4, uintptr(fd), 0, 0, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(nfd), nil
}
