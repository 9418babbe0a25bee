// Package api serves the Direct Connect control plane over AWS JSON 1.1, the
// protocol the AWS SDKs and CLI speak: POST / with
// X-Amz-Target: OvertureService.<Operation>, JSON bodies whose members are
// named as in the service model, errors in __type and X-Amzn-ErrorType.
// Beside it, on the same path, STS's GetCallerIdentity in the AWS Query
// protocol (a form body, XML answers), so clients that ask who they are
// (Terraform's AWS provider) learn their account.
//
// With SigV4 the signature must cover Host, X-Amz-Date and every X-Amz-*
// header, X-Amz-Target and X-Amz-Security-Token included.
//
// The request and response types in shapes_gen.go are generated from the
// service model kept beside this file.
package api

//go:generate go run ./internal/shapegen -model directconnect-2012-10-25.json -out shapes_gen.go
