package api

import (
	"context"

	"github.com/dxsim/dxsim/sim/loa"
)

// The LOA-CFA operations. The model's only content type is application/pdf
// (the generated validation refuses any other), so the request's
// loaContentType changes nothing. loaContent is a blob: encoding/json
// writes []byte as base64, as AWS JSON 1.1 sends blobs.

func (o *ops) DescribeLoa(ctx context.Context, in *DescribeLoaRequest) (*Loa, error) {
	b, err := o.svc.LOA(accountFrom(ctx), in.ConnectionId, in.ProviderName)
	if err != nil {
		return nil, err
	}
	return toLoa(b), nil
}

func (o *ops) DescribeConnectionLoa(ctx context.Context, in *DescribeConnectionLoaRequest) (*DescribeConnectionLoaResponse, error) {
	b, err := o.svc.ConnectionLOA(accountFrom(ctx), in.ConnectionId, in.ProviderName)
	if err != nil {
		return nil, err
	}
	return &DescribeConnectionLoaResponse{Loa: toLoa(b)}, nil
}

func (o *ops) DescribeInterconnectLoa(ctx context.Context, in *DescribeInterconnectLoaRequest) (*DescribeInterconnectLoaResponse, error) {
	b, err := o.svc.InterconnectLOA(accountFrom(ctx), in.InterconnectId, in.ProviderName)
	if err != nil {
		return nil, err
	}
	return &DescribeInterconnectLoaResponse{Loa: toLoa(b)}, nil
}

func toLoa(pdf []byte) *Loa { return &Loa{LoaContent: pdf, LoaContentType: loa.ContentType} }
