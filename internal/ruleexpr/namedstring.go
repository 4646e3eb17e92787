package ruleexpr

import (
	"reflect"

	"github.com/expr-lang/expr/ast"
)

// namedStrings lets rules compare typed string enums with string literals.
// The ledger's fields are typed (acme.Status, decode.Operation, …) and the
// engine is strict about named types, so without this a rule would have to
// write string(authz.Status) == "valid". It wraps each operand of a binary
// operator whose type is a named string type in the string() builtin. Only
// operands are touched: a method called on such a value keeps its type.
type namedStrings struct{}

var stringType = reflect.TypeFor[string]()

// Visit patches n after its children (ast.Walk is post-order).
func (namedStrings) Visit(n *ast.Node) {
	b, ok := (*n).(*ast.BinaryNode)
	if !ok {
		return
	}
	wrapNamedString(&b.Left)
	wrapNamedString(&b.Right)
}

func wrapNamedString(n *ast.Node) {
	t := (*n).Type()
	if t == nil || t.Kind() != reflect.String || t == stringType {
		return
	}
	call := &ast.BuiltinNode{Name: "string", Arguments: []ast.Node{*n}}
	call.SetType(stringType)
	ast.Patch(n, call)
}
