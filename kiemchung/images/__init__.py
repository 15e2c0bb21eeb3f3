"""Images: what citizens send in (screenshots, photos) and what kiemchung reads from them."""
