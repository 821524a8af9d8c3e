package shipment_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tobira-commerce/tobira/shipment"
)

func TestTrackingURL(t *testing.T) {
	require.Equal(t, "https://jizen.kuronekoyamato.co.jp/jizen/servlet/crjz.b.NQ0010?id=490123456789", shipment.Yamato.TrackingURL("490123456789"))
	require.Contains(t, shipment.Sagawa.TrackingURL("1234"), "okurijoNo=1234")
	require.Contains(t, shipment.JapanPost.TrackingURL("a b"), "reqCodeNo1=a+b", "numbers are escaped")
	require.Empty(t, shipment.CarrierOther.TrackingURL("1"))
	require.Empty(t, shipment.Carrier("pigeon").TrackingURL("1"))
	require.Empty(t, shipment.Yamato.TrackingURL(" "))
}

func TestValidate(t *testing.T) {
	s := shipment.Shipment{ID: "S1", OrderID: "1001", Lines: []shipment.Line{{LineID: "1", Quantity: 1}},
		Parcels: []shipment.Parcel{{Carrier: shipment.Sagawa, TrackingNumber: "1234"}}}
	require.NoError(t, s.Validate())
	s.Lines[0].Quantity = 0
	s.Parcels[0].Carrier = "pigeon"
	err := s.Validate()
	require.ErrorIs(t, err, shipment.ErrInvalid)
	require.ErrorContains(t, err, "lines[0].quantity")
	require.ErrorContains(t, err, "unknown carrier")
}
