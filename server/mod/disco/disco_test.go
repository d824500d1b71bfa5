package disco

import (
	"testing"

	"xmppbox/server/mod/modtest"
	"xmppbox/server/mod/roster/rostertest"
	"xmppbox/server/router"
)

// TestAccountIdentities: identities other modules register (such as pubsub/pep) appear in
// an account's disco#info after account/registered.
func TestAccountIdentities(t *testing.T) {
	f := modtest.New(t, []string{"alice"}, func(r *router.Router) {
		New(r, rostertest.NewMemStore()).Register(r)
		r.RegisterAccountIdentity(router.Identity{Category: "pubsub", Type: "pep"})
		r.RegisterAccountFeature("urn:test:feature")
	})
	send, conn := f.Client(t, "alice@"+modtest.Domain+"/a")
	send("<iq type='get' id='d1'><query xmlns='" + NSInfo + "'/></iq>")
	q := conn.Last(t).Child(NSInfo, "query")
	if q == nil {
		t.Fatalf("no disco#info result: %s", conn.Last(t))
	}
	var ids []string
	var urnTest bool
	for _, c := range q.ChildElements() {
		switch c.Name.Local {
		case "identity":
			ids = append(ids, c.Get("category")+"/"+c.Get("type"))
		case "feature":
			urnTest = urnTest || c.Get("var") == "urn:test:feature"
		}
	}
	if len(ids) != 2 || ids[0] != "account/registered" || ids[1] != "pubsub/pep" {
		t.Errorf("identities %q, want [account/registered pubsub/pep]", ids)
	}
	if !urnTest {
		t.Error("the registered account feature is missing")
	}
}
