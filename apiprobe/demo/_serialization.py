"""The serialization demo: a Go struct whose request bodies "arrive empty", and the bodies it received."""

from __future__ import annotations

__all__ = ["DEMO_GO_SOURCE", "DEMO_PAYLOADS"]

#: Go source of the demo service whose request bodies "arrive empty" (handbook §2.3).
DEMO_GO_SOURCE = """\
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
"""

#: Request bodies the demo service received, one JSON document per line.
DEMO_PAYLOADS = "".join(
    '{"order_id": "o-1001", "user_id": 42, "age": 31, "sku": "A-7", "quantity": 3, "count": 2, "price": "'
    '12.50", "coupon": "SPRING", "note": "leave at door", "created_by": "web", "source": "checkout", "shi'
    'pping": {"street": "1 Main St", "city": "Springfield"}, "tags": ["gift"], "Internal": "x"}'
    "\n"
    '{"order_id": "o-1002", "user_id": 43, "Age": 45, "SKU": "B-2", "quantity": 300, "count": 1, "price":'
    ' 9.99, "coupon": null, "created_by": "ios", "source": "app"}'
    "\n"
    '{"order_id": "o-1003", "userId": 44, "age": "52", "sku": "C-9", "quantity": 1, "price": "4.00", "ord'
    'er_id": "o-1003b", "shipping": null, "tags": []}'
    "\n"
    '{"ORDER_ID": "o-1004", "user_id": 45, "quantity": 2, "price": "19.90", "created_by": "android"}'
    "\n"
)
