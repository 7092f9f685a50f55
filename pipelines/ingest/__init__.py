"""Loading a partner data package into the warehouse's staging and audit schemas."""
