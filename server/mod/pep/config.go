package pep

import (
	"fmt"
	"slices"
	"strconv"

	"xmppbox/server/stanza"
)

// Access models (XEP-0060 §4.5). "authorize" is not offered: nobody can approve.
const (
	AccessOpen      = "open"
	AccessPresence  = "presence"
	AccessRoster    = "roster"
	AccessWhitelist = "whitelist"
)

// When to send the last published item (pubsub#send_last_published_item).
const (
	SendNever                = "never"
	SendOnSub                = "on_sub"
	SendOnSubAndPresence     = "on_sub_and_presence"
	publishModelPublishers   = "publishers"
	notificationTypeHeadline = "headline"
)

// DefaultConfig is the configuration of a node created without options: the smart
// defaults of XEP-0163 §7 (presence access, last item on presence, payloads delivered),
// one persisted item as Prosody and ejabberd keep, and retraction and deletion notified.
func DefaultConfig() Config {
	return Config{
		AccessModel:           AccessPresence,
		PersistItems:          true,
		MaxItems:              1,
		SendLastPublishedItem: SendOnSubAndPresence,
		DeliverNotifications:  true,
		DeliverPayloads:       true,
		NotifyRetract:         true,
		NotifyDelete:          true,
	}
}

// configField is one field of the pubsub#node_config form (XEP-0060 §16.4.3).
type configField struct {
	name, kind, label string
	options           []string
	get               func(c *Config) []string
	// set changes c from the submitted values; an error means the values are not
	// acceptable. maxItems is the service's limit, which "max" stands for.
	set func(c *Config, values []string, maxItems int) error
}

// configFields are the node options a PEP node has, in form order. Any other field of a
// submitted form or of publish-options is ignored.
var configFields = []configField{
	{name: "pubsub#title", kind: "text-single", label: "A friendly name for the node",
		get: func(c *Config) []string { return nonEmpty(c.Title) },
		set: func(c *Config, v []string, _ int) error { c.Title = first(v); return nil }},
	{name: "pubsub#type", kind: "text-single", label: "The type of node data, usually its namespace",
		get: func(c *Config) []string { return nonEmpty(c.Type) },
		set: func(c *Config, v []string, _ int) error { c.Type = first(v); return nil }},
	{name: "pubsub#access_model", kind: "list-single", label: "Who may subscribe and retrieve items",
		options: []string{AccessOpen, AccessPresence, AccessRoster, AccessWhitelist},
		get:     func(c *Config) []string { return []string{c.AccessModel} },
		set: func(c *Config, v []string, _ int) error {
			switch m := first(v); m {
			case AccessOpen, AccessPresence, AccessRoster, AccessWhitelist:
				c.AccessModel = m
				return nil
			default:
				return stanza.Error{Type: stanza.Modify, Condition: stanza.NotAcceptable,
					App: stanza.New(NSErrors, "unsupported-access-model")}
			}
		}},
	{name: "pubsub#roster_groups_allowed", kind: "list-multi", label: "Roster groups allowed to subscribe",
		get: func(c *Config) []string { return slices.Clone(c.RosterGroupsAllowed) },
		set: func(c *Config, v []string, _ int) error { c.RosterGroupsAllowed = slices.Clone(v); return nil }},
	{name: "pubsub#publish_model", kind: "list-single", label: "Who may publish",
		options: []string{publishModelPublishers},
		get:     func(*Config) []string { return []string{publishModelPublishers} },
		set: func(_ *Config, v []string, _ int) error {
			if first(v) != publishModelPublishers {
				return fmt.Errorf("only the owner publishes to a PEP node")
			}
			return nil
		}},
	{name: "pubsub#persist_items", kind: "boolean", label: "Persist items to storage",
		get: func(c *Config) []string { return boolValue(c.PersistItems) },
		set: func(c *Config, v []string, _ int) error { return setBool(&c.PersistItems, v) }},
	{name: "pubsub#max_items", kind: "text-single", label: "Max # of items to persist",
		get: func(c *Config) []string { return []string{strconv.Itoa(c.MaxItems)} },
		set: func(c *Config, v []string, limit int) error {
			s := first(v)
			if s == "max" {
				c.MaxItems = limit
				return nil
			}
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				return fmt.Errorf("pubsub#max_items %q is not a count", s)
			}
			// More than the service keeps is taken as "as many as you can" rather than
			// refused: XEP-0402 examples ask for 10000.
			c.MaxItems = min(n, limit)
			return nil
		}},
	{name: "pubsub#send_last_published_item", kind: "list-single", label: "When to send the last published item",
		options: []string{SendNever, SendOnSub, SendOnSubAndPresence},
		get:     func(c *Config) []string { return []string{c.SendLastPublishedItem} },
		set: func(c *Config, v []string, _ int) error {
			switch s := first(v); s {
			case SendNever, SendOnSub, SendOnSubAndPresence:
				c.SendLastPublishedItem = s
				return nil
			default:
				return fmt.Errorf("pubsub#send_last_published_item %q is unknown", s)
			}
		}},
	{name: "pubsub#deliver_notifications", kind: "boolean", label: "Whether to deliver event notifications",
		get: func(c *Config) []string { return boolValue(c.DeliverNotifications) },
		set: func(c *Config, v []string, _ int) error { return setBool(&c.DeliverNotifications, v) }},
	{name: "pubsub#deliver_payloads", kind: "boolean", label: "Whether to deliver payloads with event notifications",
		get: func(c *Config) []string { return boolValue(c.DeliverPayloads) },
		set: func(c *Config, v []string, _ int) error { return setBool(&c.DeliverPayloads, v) }},
	{name: "pubsub#notify_retract", kind: "boolean", label: "Notify subscribers when items are removed from the node",
		get: func(c *Config) []string { return boolValue(c.NotifyRetract) },
		set: func(c *Config, v []string, _ int) error { return setBool(&c.NotifyRetract, v) }},
	{name: "pubsub#notify_delete", kind: "boolean", label: "Notify subscribers when the node is deleted",
		get: func(c *Config) []string { return boolValue(c.NotifyDelete) },
		set: func(c *Config, v []string, _ int) error { return setBool(&c.NotifyDelete, v) }},
	{name: "pubsub#notification_type", kind: "list-single", label: "The delivery style of notifications",
		options: []string{notificationTypeHeadline},
		get:     func(*Config) []string { return []string{notificationTypeHeadline} },
		set: func(_ *Config, v []string, _ int) error {
			if first(v) != notificationTypeHeadline {
				return fmt.Errorf("notifications are headline messages")
			}
			return nil
		}},
}

// applyForm changes c by the known fields of a submitted form. An unacceptable value is
// a not-acceptable error (unsupported-access-model for an access model).
func applyForm(c *Config, f form, maxItems int) error {
	for _, field := range configFields {
		values, ok := f.fields[field.name]
		if !ok {
			continue
		}
		if err := field.set(c, values, maxItems); err != nil {
			return notAcceptable(err)
		}
	}
	return nil
}

// preconditionsMet reports whether every known field of publish-options matches c
// (XEP-0060 §7.1.5). A value is compared after the same normalisation a configuration
// gets: "1" matches true, "max" matches the service's limit.
func preconditionsMet(c Config, f form, maxItems int) bool {
	for _, field := range configFields {
		values, ok := f.fields[field.name]
		if !ok {
			continue
		}
		want := c
		want.RosterGroupsAllowed = slices.Clone(c.RosterGroupsAllowed)
		if err := field.set(&want, values, maxItems); err != nil {
			return false
		}
		if !slices.Equal(field.get(&want), field.get(&c)) {
			return false
		}
	}
	return true
}

// configForm renders c as a pubsub#node_config form of type typ ("form" or "result").
func configForm(c Config, typ string) *stanza.Element {
	x := stanza.New(NSData, "x", "type", typ)
	x.Append(hiddenFormType(NSNodeConfig))
	for _, field := range configFields {
		el := stanza.New(NSData, "field", "var", field.name, "type", field.kind, "label", field.label)
		for _, o := range field.options {
			el.Append(stanza.New(NSData, "option").Append(stanza.New(NSData, "value").AppendText(o)))
		}
		for _, v := range field.get(&c) {
			el.Append(stanza.New(NSData, "value").AppendText(v))
		}
		x.Append(el)
	}
	return x
}

func notAcceptable(err error) error {
	if se, ok := err.(stanza.Error); ok {
		return se
	}
	return stanza.Error{Type: stanza.Modify, Condition: stanza.NotAcceptable, Text: err.Error()}
}

func setBool(dst *bool, v []string) error {
	switch s := first(v); s {
	case "1", "true":
		*dst = true
	case "0", "false":
		*dst = false
	default:
		return fmt.Errorf("%q is not a boolean", s)
	}
	return nil
}

// boolValue renders a boolean as XEP-0004 §3.3 prefers.
func boolValue(b bool) []string {
	if b {
		return []string{"1"}
	}
	return []string{"0"}
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
