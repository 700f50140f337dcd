package providerchecktest

import "strings"

// CostlyXML returns XML answers of exactly size bytes, by shape, that cost a decoder much work
// per byte: many small elements under root (a listing of many keys), elements nested as deep as
// the bytes allow, and one element with as many attributes.
func CostlyXML(root string, size int) map[string][]byte {
	open := `<?xml version="1.0"?><` + root + `>`
	return map[string][]byte{
		"elements":   fill(open, "<k>1</k>", size),
		"nesting":    fill(open, "<a>", size),
		"attributes": fill(`<?xml version="1.0"?><`+root, ` a="1"`, size),
	}
}

// CostlyJSON returns JSON answers of exactly size bytes, by shape, that cost a decoder much work
// per byte: an object with many members, and an array of many small objects.
func CostlyJSON(size int) map[string][]byte {
	return map[string][]byte{
		"members": fill(`{"labels":{`, `"k":"v",`, size),
		"array":   fill(`{"acl":[`, `{"r":"x"},`, size),
	}
}

// fill is head followed by as many units as fit in size bytes, padded with spaces to size.
func fill(head, unit string, size int) []byte {
	n := (size - len(head)) / len(unit)
	body := head + strings.Repeat(unit, n)
	return []byte(body + strings.Repeat(" ", size-len(body)))
}
