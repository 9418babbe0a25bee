package verify

import (
	"fmt"
	"slices"

	"github.com/dxsim/dxsim/lacp"
)

// endpoint identifies one end of a link when the capture names no port.
type endpoint struct {
	system lacp.SystemID
	port   uint16
}

// link is the observations of one link, in time order.
type link struct {
	port string // the captured interface, or ""
	ends []endpoint
	obs  []Observation
}

// name is the captured interface, else "port N" for the local port number N
// (or "remote port N" when the local side was never heard).
func (l *link) name(local lacp.SystemID) string {
	if l.port != "" {
		return l.port
	}
	var localPort, remotePort uint16
	for _, e := range l.ends {
		switch {
		case e.system == local && (localPort == 0 || e.port < localPort):
			localPort = e.port
		case e.system != local && (remotePort == 0 || e.port < remotePort):
			remotePort = e.port
		}
	}
	if localPort != 0 {
		return fmt.Sprintf("port %d", localPort)
	}
	return fmt.Sprintf("remote port %d", remotePort)
}

// groupLinks splits time-ordered observations into links: by captured port
// name when there is one, else by joining the two endpoints every PDU names
// (its actor and, once known, its partner).
func groupLinks(obs []Observation) []*link {
	uf := unionFind{}
	for i := range obs {
		o := &obs[i]
		if o.Port != "" {
			continue
		}
		a := endpoint{o.PDU.Actor.System, o.PDU.Actor.Port}
		uf.find(a)
		if o.PDU.Partner.System != (lacp.SystemID{}) && !o.PDU.Actor.State.Has(lacp.StateDefaulted) {
			uf.union(a, endpoint{o.PDU.Partner.System, o.PDU.Partner.Port})
		}
	}
	byName := map[string]*link{}
	byRoot := map[endpoint]*link{}
	var links []*link
	for i := range obs {
		o := obs[i]
		var l *link
		if o.Port != "" {
			if l = byName[o.Port]; l == nil {
				l = &link{port: o.Port}
				byName[o.Port] = l
				links = append(links, l)
			}
		} else {
			root := uf.find(endpoint{o.PDU.Actor.System, o.PDU.Actor.Port})
			if l = byRoot[root]; l == nil {
				l = &link{}
				byRoot[root] = l
				links = append(links, l)
			}
		}
		if e := (endpoint{o.PDU.Actor.System, o.PDU.Actor.Port}); !slices.Contains(l.ends, e) {
			l.ends = append(l.ends, e)
		}
		l.obs = append(l.obs, o)
	}
	return links
}

type unionFind map[endpoint]endpoint

func (u unionFind) find(e endpoint) endpoint {
	p, ok := u[e]
	if !ok {
		u[e] = e
		return e
	}
	if p == e {
		return e
	}
	root := u.find(p)
	u[e] = root
	return root
}

func (u unionFind) union(a, b endpoint) {
	ra, rb := u.find(a), u.find(b)
	if ra != rb {
		u[rb] = ra
	}
}
