// Package loa writes the Letter of Authorization and Connecting Facility
// Assignment (LOA-CFA) that Direct Connect issues for a port: the PDF a
// customer hands to the colocation provider to order a cross connect to
// the AWS device. It is a pure function of the letter's fields, so the same
// connection on the same date always yields the same bytes.
package loa

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"time"

	"codeberg.org/go-pdf/fpdf"
)

// ContentType is the letter's media type, the only one the API offers.
const ContentType = "application/pdf"

// Validity is how long a letter authorizes a cross connect: AWS's LOA-CFA
// expires 90 days after it is issued.
const Validity = 90 * 24 * time.Hour

// Letter is what an LOA-CFA states.
type Letter struct {
	Kind         string // "Connection", "Interconnect" or "LAG"
	ID, Name     string
	Customer     string // the providerName asked for, else the account
	Account      string
	Region       string
	Location     string // the location code
	LocationName string
	Bandwidth    string
	Date         time.Time
	Ports        []Port // one per physical port to cross connect
}

// Port is one port's assignment: where the cross connect lands on the AWS
// device and at the demarcation point.
type Port struct {
	ConnectionID string
	Device       string
	Interface    string // the port on the AWS device
	Panel        string // the demarcation: patch panel and its ports
}

// Assign gives a connection's port on its device and its demarcation. It
// is derived from the connection ID alone, so every letter for a
// connection names the same port.
func Assign(connectionID, device, bandwidth string) Port {
	h := fnv.New32a()
	h.Write([]byte(connectionID))
	n := h.Sum32()
	pair := 2 * ((n >> 13) % 12)
	return Port{
		ConnectionID: connectionID,
		Device:       device,
		Interface:    fmt.Sprintf("%s-%d/%d/%d", ifPrefix(bandwidth), n%4, (n>>2)%2, (n>>3)%48),
		Panel:        fmt.Sprintf("PP-%02d ports %d/%d", (n>>9)%16+1, pair+1, pair+2),
	}
}

// ifPrefix is how the device names a port of that speed.
func ifPrefix(bandwidth string) string {
	switch bandwidth {
	case "1Gbps":
		return "ge"
	case "100Gbps", "400Gbps":
		return "et"
	}
	return "xe"
}

// media is the optics a port of that speed takes, as AWS lists them: the
// cross connect is single-mode fiber.
func media(bandwidth string) string {
	switch bandwidth {
	case "1Gbps":
		return "1000BASE-LX (1310 nm), single-mode fiber"
	case "10Gbps":
		return "10GBASE-LR (1310 nm), single-mode fiber"
	case "100Gbps":
		return "100GBASE-LR4, single-mode fiber"
	case "400Gbps":
		return "400GBASE-LR4, single-mode fiber"
	}
	return "single-mode fiber"
}

// PDF renders the letter.
func (l Letter) PDF() ([]byte, error) {
	w := newWriter(l.Date)
	w.heading(l)
	w.details(l)
	w.ports(l.Ports)
	w.footer()
	var buf bytes.Buffer
	if err := w.pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("writing the LOA-CFA for %s: %w", l.ID, err)
	}
	return buf.Bytes(), nil
}

const day = "2 January 2006"

type writer struct {
	pdf *fpdf.Fpdf
	tr  func(string) string // UTF-8 to the core fonts' code page
}

func newWriter(date time.Time) *writer {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetMargins(20, 20, 20)
	// Dated by the letter, not the clock, so a letter renders identically.
	pdf.SetCreationDate(date)
	pdf.SetModificationDate(date)
	pdf.SetCatalogSort(true) // fonts in name order, not map order
	pdf.SetCreator("dxsim", false)
	pdf.SetAuthor("Amazon Web Services (simulated by dxsim)", false)
	pdf.SetTitle("Letter of Authorization and Connecting Facility Assignment", false)
	pdf.AddPage()
	return &writer{pdf: pdf, tr: pdf.UnicodeTranslatorFromDescriptor("")}
}

func (w *writer) text(style string, size, h float64, s string) {
	w.pdf.SetFont("Helvetica", style, size)
	w.pdf.MultiCell(0, h, w.tr(s), "", "L", false)
}

func (w *writer) heading(l Letter) {
	w.text("B", 16, 8, "Letter of Authorization and Connecting Facility Assignment (LOA-CFA)")
	w.pdf.Ln(4)
	w.text("", 11, 6, "Date: "+l.Date.UTC().Format(day))
	w.text("", 11, 6, fmt.Sprintf("To: the colocation provider at %s (%s)", l.LocationName, l.Location))
	w.pdf.Ln(4)
	w.text("", 11, 6, fmt.Sprintf(
		"Amazon Web Services authorizes %s, or its agent, to order a cross connect between its equipment and the "+
			"AWS Direct Connect port assignments below at %s. This authorization expires 90 days after the date "+
			"above, on %s.",
		l.Customer, l.LocationName, l.Date.Add(Validity).UTC().Format(day)))
	w.pdf.Ln(4)
}

func (w *writer) details(l Letter) {
	rows := [][2]string{
		{l.Kind + " ID", l.ID},
		{l.Kind + " name", l.Name},
		{"Customer", l.Customer},
		{"AWS account", l.Account},
		{"Region", l.Region},
		{"Location", fmt.Sprintf("%s (%s)", l.LocationName, l.Location)},
		{"Port speed", l.Bandwidth},
		{"Media", media(l.Bandwidth)},
	}
	for _, r := range rows {
		w.pdf.SetFont("Helvetica", "B", 10)
		w.pdf.CellFormat(40, 6, w.tr(r[0]), "", 0, "L", false, 0, "")
		w.pdf.SetFont("Helvetica", "", 10)
		w.pdf.MultiCell(0, 6, w.tr(r[1]), "", "L", false)
	}
	w.pdf.Ln(4)
}

func (w *writer) ports(ports []Port) {
	widths := []float64{38, 48, 30, 54}
	w.pdf.SetFont("Helvetica", "B", 10)
	for i, h := range []string{"Connection", "AWS device", "Port", "Demarcation"} {
		w.pdf.CellFormat(widths[i], 7, h, "1", 0, "L", false, 0, "")
	}
	w.pdf.Ln(-1)
	w.pdf.SetFont("Helvetica", "", 10)
	for _, p := range ports {
		for i, v := range []string{p.ConnectionID, p.Device, p.Interface, p.Panel} {
			w.pdf.CellFormat(widths[i], 7, w.tr(v), "1", 0, "L", false, 0, "")
		}
		w.pdf.Ln(-1)
	}
	w.pdf.Ln(6)
}

func (w *writer) footer() {
	w.pdf.SetTextColor(96, 96, 96)
	w.text("I", 9, 5, "Issued by dxsim, a simulator of AWS Direct Connect. It authorizes no real cross connect.")
}
