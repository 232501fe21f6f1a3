

intake@c1/E002(