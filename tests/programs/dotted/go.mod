module example.com/x/dotted.v2

go 1.22
