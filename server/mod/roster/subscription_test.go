package roster

import "testing"

// The states of RFC 6121 Appendix A.1, by their names in the RFC.
var rfcStates = map[string]State{
	"None":                  {},
	"None + Pending Out":    {PendingOut: true},
	"None + Pending In":     {PendingIn: true},
	"None + Pending Out/In": {PendingOut: true, PendingIn: true},
	"To":                    {To: true},
	"To + Pending In":       {To: true, PendingIn: true},
	"From":                  {From: true},
	"From + Pending Out":    {From: true, PendingOut: true},
	"Both":                  {To: true, From: true},
}

// TestTransitionRFC6121Tables checks every row of the tables in RFC 6121 Appendix A.2
// (outbound) and A.3 (inbound): "old state -> new state" for each stanza type.
func TestTransitionRFC6121Tables(t *testing.T) {
	tables := []struct {
		event Event
		name  string
		rows  map[string]string // existing state -> new state ("" = no state change)
	}{
		{OutSubscribe, "A.2.1 outbound subscribe", map[string]string{
			"None": "None + Pending Out", "None + Pending Out": "", "None + Pending In": "None + Pending Out/In",
			"None + Pending Out/In": "", "To": "", "To + Pending In": "", "From": "From + Pending Out",
			"From + Pending Out": "", "Both": "",
		}},
		{OutUnsubscribe, "A.2.2 outbound unsubscribe", map[string]string{
			"None": "", "None + Pending Out": "None", "None + Pending In": "", "None + Pending Out/In": "None + Pending In",
			"To": "None", "To + Pending In": "None + Pending In", "From": "", "From + Pending Out": "From", "Both": "From",
		}},
		{OutSubscribed, "A.2.3 outbound subscribed", map[string]string{
			"None": "", "None + Pending Out": "", "None + Pending In": "From", "None + Pending Out/In": "From + Pending Out",
			"To": "", "To + Pending In": "Both", "From": "", "From + Pending Out": "", "Both": "",
		}},
		{OutUnsubscribed, "A.2.4 outbound unsubscribed", map[string]string{
			"None": "", "None + Pending Out": "", "None + Pending In": "None", "None + Pending Out/In": "None + Pending Out",
			"To": "", "To + Pending In": "To", "From": "None", "From + Pending Out": "None + Pending Out", "Both": "To",
		}},
		{InSubscribe, "A.3.1 inbound subscribe", map[string]string{
			"None": "None + Pending In", "None + Pending Out": "None + Pending Out/In", "None + Pending In": "",
			"None + Pending Out/In": "", "To": "To + Pending In", "To + Pending In": "", "From": "",
			"From + Pending Out": "", "Both": "",
		}},
		{InUnsubscribe, "A.3.2 inbound unsubscribe", map[string]string{
			"None": "", "None + Pending Out": "", "None + Pending In": "None", "None + Pending Out/In": "None + Pending Out",
			"To": "", "To + Pending In": "To", "From": "None", "From + Pending Out": "None + Pending Out", "Both": "To",
		}},
		{InSubscribed, "A.3.3 inbound subscribed", map[string]string{
			"None": "", "None + Pending Out": "To", "None + Pending In": "", "None + Pending Out/In": "To + Pending In",
			"To": "", "To + Pending In": "", "From": "", "From + Pending Out": "Both", "Both": "",
		}},
		{InUnsubscribed, "A.3.4 inbound unsubscribed", map[string]string{
			"None": "", "None + Pending Out": "None", "None + Pending In": "", "None + Pending Out/In": "None + Pending In",
			"To": "None", "To + Pending In": "None + Pending In", "From": "", "From + Pending Out": "From", "Both": "From",
		}},
	}
	for _, tc := range tables {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.rows) != len(rfcStates) {
				t.Fatalf("table has %d rows, want one per state (%d)", len(tc.rows), len(rfcStates))
			}
			for from, to := range tc.rows {
				want := rfcStates[from]
				if to != "" {
					want = rfcStates[to]
				}
				got, changed := Transition(rfcStates[from], tc.event)
				if got != want {
					t.Errorf("%s: got %+v, want %q %+v", from, got, to, want)
				}
				if changed != (to != "") {
					t.Errorf("%s: changed = %v, want %v", from, changed, to != "")
				}
			}
		})
	}
}

func TestStateRoundTrip(t *testing.T) {
	for name, s := range rfcStates {
		t.Run(name, func(t *testing.T) {
			var it Item
			s.Apply(&it)
			if got := StateOf(it, s.PendingIn); got != s {
				t.Errorf("StateOf(Apply(%+v)) = %+v", s, got)
			}
		})
	}
}
