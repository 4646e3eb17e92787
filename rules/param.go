package rules

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"
)

// ParamType is the declared type of a rule parameter. It fixes the Go type
// the parameter has in expressions, so `params.max_pending + "x"` is a load
// error and a configuration that sets a duration to 5 is rejected.
type ParamType int

// The parameter types and the Go type of each in expressions.
const (
	ParamInt      ParamType = iota + 1 // int
	ParamFloat                         // float64; an integer is accepted
	ParamString                        // string
	ParamBool                          // bool
	ParamDuration                      // time.Duration, written as a Go duration string ("15m", "168h")
	ParamList                          // []string
)

var paramTypeNames = [...]string{ParamInt: "int", ParamFloat: "float", ParamString: "string",
	ParamBool: "bool", ParamDuration: "duration", ParamList: "list"}

var paramGoTypes = [...]reflect.Type{ParamInt: reflect.TypeFor[int](), ParamFloat: reflect.TypeFor[float64](),
	ParamString: reflect.TypeFor[string](), ParamBool: reflect.TypeFor[bool](),
	ParamDuration: reflect.TypeFor[time.Duration](), ParamList: reflect.TypeFor[[]string]()}

// String returns the YAML word for t.
func (t ParamType) String() string {
	if t >= ParamInt && t <= ParamList {
		return paramTypeNames[t]
	}
	return fmt.Sprintf("ParamType(%d)", int(t))
}

// MarshalText returns the YAML word for t.
func (t ParamType) MarshalText() ([]byte, error) {
	if t < ParamInt || t > ParamList {
		return nil, fmt.Errorf("rules: invalid parameter type %d", int(t))
	}
	return []byte(t.String()), nil
}

// UnmarshalText accepts int, float, string, bool, duration or list.
func (t *ParamType) UnmarshalText(b []byte) error {
	for v := ParamInt; v <= ParamList; v++ {
		if paramTypeNames[v] == string(b) {
			*t = v
			return nil
		}
	}
	return fmt.Errorf("rules: unknown parameter type %q (want %s)", b, strings.Join(paramTypeNames[1:], ", "))
}

// Param is a declared rule parameter. Default has the Go type of Type
// (int, float64, string, bool, time.Duration or []string).
type Param struct {
	Name        string    `json:"name"`
	Type        ParamType `json:"type"`
	Default     any       `json:"default"`
	Description string    `json:"description,omitempty"`
	Pos         Pos       `json:"-"`
}

var paramNameRE = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// convert checks a value decoded from YAML (int, float64, string, bool,
// []any, ...) against t and returns it as t's Go type.
func (t ParamType) convert(v any) (any, error) {
	switch t {
	case ParamInt:
		if i, ok := v.(int); ok {
			return i, nil
		}
	case ParamFloat:
		switch x := v.(type) {
		case int:
			return float64(x), nil
		case float64:
			if !math.IsNaN(x) && !math.IsInf(x, 0) {
				return x, nil
			}
		}
	case ParamString:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case ParamBool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case ParamDuration:
		if s, ok := v.(string); ok {
			d, err := time.ParseDuration(s)
			if err != nil {
				return nil, fmt.Errorf("want a duration such as 90s, 15m or 168h, got %q", s)
			}
			return d, nil
		}
		return nil, fmt.Errorf("want a duration such as 90s, 15m or 168h, got %s", describe(v))
	case ParamList:
		return convertList(v)
	}
	return nil, fmt.Errorf("want %s, got %s", article(t), describe(v))
}

// convertList accepts a YAML list of strings.
func convertList(v any) (any, error) {
	items, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("want a list of strings, got %s", describe(v))
	}
	out := make([]string, len(items))
	for i, it := range items {
		s, ok := it.(string)
		if !ok {
			return nil, fmt.Errorf("want a list of strings, item %d is %s", i+1, describe(it))
		}
		out[i] = s
	}
	return out, nil
}

func article(t ParamType) string {
	switch t {
	case ParamInt:
		return "an int"
	case ParamFloat:
		return "a float"
	case ParamString:
		return "a string"
	case ParamBool:
		return "a bool"
	}
	return t.String()
}

// describe names a decoded YAML value for an error message.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "nothing"
	case string:
		return fmt.Sprintf("the string %q", x)
	case int, float64, bool:
		return fmt.Sprintf("%T %v", x, x)
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	case time.Time:
		return "a date (quote it to make it a string)"
	}
	return fmt.Sprintf("%T", v)
}

// paramsType builds the struct type of the params variable: one field per
// parameter, named in expressions by the parameter's own name. A struct, not
// a map, so that expressions are type-checked field by field.
func paramsType(params []Param) reflect.Type {
	fields := make([]reflect.StructField, len(params))
	for i, p := range params {
		fields[i] = reflect.StructField{
			Name: "P" + p.Name, // exported Go name; the expr tag is the name rules use
			Type: paramGoTypes[p.Type],
			Tag:  reflect.StructTag(fmt.Sprintf(`expr:%q json:%q`, p.Name, p.Name)),
		}
	}
	return reflect.StructOf(fields)
}

// paramsValue returns a value of type t holding the defaults of params,
// overridden by values (already converted to the parameters' Go types).
func paramsValue(t reflect.Type, params []Param, values map[string]any) any {
	v := reflect.New(t).Elem()
	for i, p := range params {
		x := p.Default
		if o, ok := values[p.Name]; ok {
			x = o
		}
		if l, ok := x.([]string); ok {
			x = slices.Clone(l)
		}
		v.Field(i).Set(reflect.ValueOf(x))
	}
	return v.Interface()
}
