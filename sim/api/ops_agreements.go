package api

import "context"

func (o *ops) DescribeCustomerMetadata(ctx context.Context, _ *Empty) (*DescribeCustomerMetadataResponse, error) {
	as, nni, err := o.svc.CustomerMetadata(accountFrom(ctx))
	if err != nil {
		return nil, err
	}
	out := &DescribeCustomerMetadataResponse{NniPartnerType: nni, Agreements: make([]CustomerAgreement, len(as))}
	for i, a := range as {
		out.Agreements[i] = CustomerAgreement{AgreementName: a.Name, Status: a.Status}
	}
	return out, nil
}

func (o *ops) ConfirmCustomerAgreement(ctx context.Context, in *ConfirmCustomerAgreementRequest) (*ConfirmCustomerAgreementResponse, error) {
	status, err := o.svc.ConfirmCustomerAgreement(ctx, accountFrom(ctx), in.AgreementName)
	if err != nil {
		return nil, err
	}
	return &ConfirmCustomerAgreementResponse{Status: status}, nil
}
