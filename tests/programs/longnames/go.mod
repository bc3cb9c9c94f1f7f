module example.com/an-organisation-with-a-rather-long-name/a-service-with-an-even-longer-name-than-that

go 1.21
