package hostile

import (
	"encoding/json"
	"net/http"
	"strings"
)

// flavour is the kind of API a request is for, so that an answer can look right (the start of
// a listing in the format the API speaks) before it goes wrong.
type flavour struct {
	contentType string
	// head and unit start an endless answer and repeat in it: a listing that never ends.
	head, unit string
	// errorDoc is the API's error document with code and message, and errorHeader the
	// header that carries the code besides, if the API has one.
	errorDoc    func(code, message string) string
	errorHeader string
}

var (
	s3XML = flavour{
		contentType: "application/xml",
		head: `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
			`<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>hostile</Name><KeyCount>1000</KeyCount>`,
		unit:     `<Contents><Key>endless/aaaaaaaaaaaaaaaa</Key><Size>1</Size></Contents>`,
		errorDoc: xmlError,
	}
	azureXML = flavour{
		contentType: "application/xml",
		head: `<?xml version="1.0" encoding="utf-8"?>` + "\n" +
			`<EnumerationResults ServiceEndpoint="http://hostile/" ContainerName="hostile"><Blobs>`,
		unit:        `<Blob><Name>endless/aaaaaaaaaaaaaaaa</Name><Properties /></Blob>`,
		errorDoc:    xmlError,
		errorHeader: "x-ms-error-code",
	}
	// stsXML is AWS STS's Query protocol's: a form POST answered in XML.
	stsXML = flavour{
		contentType: "text/xml",
		head: `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
			`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><SessionToken>`,
		unit: `FwoGZXIvYXdzEaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa`,
		errorDoc: func(code, message string) string {
			return `<?xml version="1.0" encoding="UTF-8"?>` + "\n<ErrorResponse><Error><Type>Sender</Type><Code>" + code +
				"</Code><Message>" + message + "</Message></Error></ErrorResponse>"
		},
	}
	// gcsJSON is the GCS JSON API's and the key lists'.
	gcsJSON = flavour{
		contentType: "application/json; charset=UTF-8",
		head:        `{"kind":"storage#bucket","name":"hostile","location":"US-EAST1","labels":{`,
		unit:        `"endless-aaaaaaaaaaaaaaaa":"x",`,
		errorDoc: func(code, message string) string {
			return `{"error":{"code":403,"message":` + jsonString(message) +
				`,"errors":[{"reason":` + jsonString(code) + `,"message":` + jsonString(message) + `}]}}`
		},
	}
	// oauthJSON is an OAuth token endpoint's.
	oauthJSON = flavour{
		contentType: "application/json; charset=utf-8",
		head:        `{"token_type":"Bearer","expires_in":3599,"access_token":"`,
		unit:        `ya29.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa`,
		errorDoc: func(code, message string) string {
			return `{"error":` + jsonString(code) + `,"error_description":` + jsonString(message) + `}`
		},
	}
)

// flavourOf tells which API r is for: a request signed for STS is STS's, a form POST is a
// token exchange, x-ms-version marks
// Azure, JSON asked for or the JSON API's path mark GCS, and anything else is S3.
func flavourOf(r *http.Request) flavour {
	switch {
	case strings.Contains(r.Header.Get("Authorization"), "/sts/aws4_request"):
		return stsXML
	case r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
		return oauthJSON
	case r.Header.Get("x-ms-version") != "":
		return azureXML
	case strings.HasPrefix(r.URL.Path, "/storage/v1/") || strings.Contains(r.Header.Get("Accept"), "json"):
		return gcsJSON
	}
	return s3XML
}

// other is the flavour of the other format: JSON for an XML API and XML for a JSON one.
func (f flavour) other() flavour {
	if strings.HasPrefix(f.contentType, "application/xml") || f.contentType == stsXML.contentType {
		return gcsJSON
	}
	return s3XML
}

func xmlError(code, message string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>` + "\n<Error><Code>" + code + "</Code><Message>" + message + "</Message></Error>"
}

func jsonString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}
