package api

import (
	"encoding/xml"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// STS answers the one STS action clients need from a Direct Connect
// endpoint: GetCallerIdentity, which the AWS provider for Terraform calls to
// learn the account it builds ARNs for. STS speaks the AWS Query protocol:
// POST / with a form body (Action=…&Version=2011-06-15), XML answers.

const (
	stsVersion   = "2011-06-15"
	stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
)

// isQuery says whether r is an AWS Query request (STS) rather than AWS JSON
// 1.1: a POST with a form body and no X-Amz-Target.
func isQuery(r *http.Request) bool {
	if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/x-www-form-urlencoded"
}

type callerIdentityResponse struct {
	XMLName   xml.Name `xml:"GetCallerIdentityResponse"`
	Namespace string   `xml:"xmlns,attr"`
	Result    struct {
		Arn     string `xml:"Arn"`
		UserID  string `xml:"UserId"`
		Account string `xml:"Account"`
	} `xml:"GetCallerIdentityResult"`
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

type queryErrorResponse struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Namespace string   `xml:"xmlns,attr"`
	Error     struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

// serveSTS answers one STS Query request for the account it is signed for.
func (h *Handler) serveSTS(w http.ResponseWriter, r *http.Request, reqID string) {
	body, err := h.readBody(w, r)
	if err != nil {
		h.writeQueryError(w, reqID, err)
		return
	}
	account, err := h.auth.Authenticate(r, body, STSSigningName)
	if err != nil {
		h.writeQueryError(w, reqID, err)
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		// The Query protocol's common errors give a malformed query 404.
		h.writeQueryError(w, reqID, &ProtocolError{Code: "MalformedQueryString", Status: http.StatusNotFound,
			Message: "The request body is not a valid form: " + err.Error()})
		return
	}
	action, version := form.Get("Action"), form.Get("Version")
	switch {
	case action == "":
		h.writeQueryError(w, reqID, &ProtocolError{Code: "MissingAction", Status: http.StatusBadRequest, Message: "The request names no Action."})
		return
	case action != "GetCallerIdentity" || version != stsVersion:
		h.writeQueryError(w, reqID, &ProtocolError{Code: "InvalidAction", Status: http.StatusBadRequest,
			Message: fmt.Sprintf("Could not find operation %s for version %s", action, version)})
		return
	}
	// Every key dxsim knows stands for its account's root user, as AWS
	// answers for root credentials: the account ID is the user ID.
	out := callerIdentityResponse{Namespace: stsNamespace, RequestID: reqID}
	out.Result.Arn = "arn:aws:iam::" + account + ":root"
	out.Result.UserID = account
	out.Result.Account = account
	h.writeXML(w, http.StatusOK, out)
}

// queryCodes are the Query protocol's names for the errors that the JSON
// protocol names otherwise.
var queryCodes = map[string]string{
	"MissingAuthenticationTokenException": "MissingAuthenticationToken",
	"IncompleteSignatureException":        "IncompleteSignature",
	"UnrecognizedClientException":         "InvalidClientTokenId",
	"InvalidSignatureException":           "SignatureDoesNotMatch",
	"SerializationException":              "InvalidQueryParameter",
}

// writeQueryError writes err as STS does: an ErrorResponse whose Type says
// whose fault it is.
func (h *Handler) writeQueryError(w http.ResponseWriter, reqID string, err error) {
	code, msg, status := "InternalFailure", "An internal error occurred.", http.StatusInternalServerError
	var protoErr *ProtocolError
	if errors.As(err, &protoErr) {
		code, msg, status = protoErr.Code, protoErr.Message, protoErr.Status
		if q, ok := queryCodes[code]; ok {
			code = q
		}
		code = strings.TrimSuffix(code, "Exception")
		// Query-protocol services answer an unreadable signature 400.
		if code == "IncompleteSignature" {
			status = http.StatusBadRequest
		}
	} else {
		h.log.Error("unclassified error", "err", err)
	}
	out := queryErrorResponse{Namespace: stsNamespace, RequestID: reqID}
	out.Error.Type, out.Error.Code, out.Error.Message = "Sender", code, msg
	if status >= 500 {
		out.Error.Type = "Receiver"
	}
	h.writeXML(w, status, out)
}

func (h *Handler) writeXML(w http.ResponseWriter, status int, v any) {
	b, err := xml.Marshal(v)
	if err != nil {
		h.log.Error("encoding response", "err", err)
		status = http.StatusInternalServerError
		b = []byte(`<ErrorResponse xmlns="` + stsNamespace + `"><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>An internal error occurred.</Message></Error></ErrorResponse>`)
	}
	b = append([]byte(xml.Header), b...)
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", fmt.Sprint(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
