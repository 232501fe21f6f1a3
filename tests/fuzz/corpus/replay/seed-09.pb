

intake@c1/E001 ((