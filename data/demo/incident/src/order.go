// Package orders is the demo service whose request bodies "arrive empty".
// Each field below hides one trap that the serialization notebook explains.
package orders

type Address struct {
	Street string `json:"street"`
	City   string `json:"city"`
}

type Audit struct {
	CreatedBy string `json:"created_by"`
	Source    string `json:"source"`
}

type Meta struct {
	Source string `json:"source"`
}

type CreateOrder struct {
	Audit                           // embedded: created_by is promoted...
	Meta                            // ...but "source" exists in both at the same depth: neither is filled
	OrderID   string  `json:"order_id"`
	UserID    int64   `json:"userId"`          // clients send user_id: silently dropped
	Age       int     `json:""`                // handbook: "hides the field"; Go uses "Age", any case
	SKU       string  `json:sku`               // malformed tag (no quotes): ignored, key is "SKU" (matches "sku" too)
	Quantity  int8    `json:"quantity"`        // 300 overflows int8
	Count     int     `json:"count "`          // trailing space: the key is "count " - "count" never matches
	Price     float64 `json:"price,string"`    // expects "12.50" as a quoted string
	Coupon    string  `jsn:"coupon"`           // misspelled tag key: ignored, key is "Coupon"
	note      string  `json:"note"`            // unexported: never decoded
	Shipping  *Address `json:"shipping,omitempty"`
	Tags      []string `json:"tags"`
	Internal  string  `json:"-"`                // never decoded
}
