// Package api serves the Direct Connect control plane over AWS JSON 1.1, the
// protocol the AWS SDKs and CLI speak: POST / with
// X-Amz-Target: OvertureService.<Operation>, JSON bodies whose members are
// named as in the service model, errors in __type and X-Amzn-ErrorType.
//
// The request and response types in shapes_gen.go are generated from the
// service model kept beside this file.
package api

//go:generate go run ./internal/shapegen -model directconnect-2012-10-25.json -out shapes_gen.go
